#include "z3/witness.hpp"

#include <algorithm>

#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

namespace {

// The slots a witness shows: vCPU state and configuration, not the flow
// language's hypervisor vars and formals.
bool shown(ir::SlotKind k) {
  return ir::is_state(k) || k == ir::SlotKind::Param || k == ir::SlotKind::Feature || k == ir::SlotKind::Control;
}

// Preferences are soft: each is a literal that implies one equality. The
// solver honours as many as it can: it drops the members of each unsat core,
// then adds back, one at a time, every dropped one that still fits.
class NearSolver {
 public:
  NearSolver(z3::solver& sv, z3::context& ctx) : sv_(sv), ctx_(ctx) {}

  // Returns the index of the new preference.
  size_t prefer(const z3::expr& constraint) {
    z3::expr lit = ctx_.bool_const(("pref!" + std::to_string(lits_.size())).c_str());
    sv_.add(z3::implies(lit, constraint));
    lits_.push_back(lit);
    return lits_.size() - 1;
  }

  // sat with `kept()` honoured, unsat (even with no preference), or unknown.
  z3::check_result solve(std::string& reason) {
    active_.assign(lits_.size(), true);
    std::vector<size_t> dropped;
    for (;;) {
      z3::check_result r = check(sv_, assumptions(), reason);
      if (r != z3::unsat) {
        if (r == z3::unknown) return r;
        break;
      }
      z3::expr_vector core = sv_.unsat_core();
      if (core.empty()) return z3::unsat;
      for (unsigned k = 0; k < core.size(); ++k) {
        size_t i = index_of(core[k]);
        if (i < lits_.size() && active_[i]) {
          active_[i] = false;
          dropped.push_back(i);
        }
      }
    }
    std::sort(dropped.begin(), dropped.end());
    for (size_t i : dropped) {
      active_[i] = true;
      std::string why;
      if (check(sv_, assumptions(), why) != z3::sat) active_[i] = false;
    }
    z3::check_result r = check(sv_, assumptions(), reason);
    return r;
  }

  bool kept(size_t i) const { return active_[i]; }

 private:
  z3::expr_vector assumptions() {
    z3::expr_vector a(ctx_);
    for (size_t i = 0; i < lits_.size(); ++i)
      if (active_[i]) a.push_back(lits_[i]);
    return a;
  }
  size_t index_of(const z3::expr& lit) const {
    std::string name = lit.decl().name().str();
    if (name.rfind("pref!", 0) != 0) return lits_.size();
    return static_cast<size_t>(std::stoul(name.substr(5)));
  }

  z3::solver& sv_;
  z3::context& ctx_;
  std::vector<z3::expr> lits_;
  std::vector<bool> active_;
};

std::vector<uint64_t> read_model(const z3::model& mdl, const Valuation& s, const ir::Model& m) {
  std::vector<uint64_t> out(m.slots.size(), 0);
  for (ir::SlotId id = 0; id < m.slots.size(); ++id)
    if (shown(m.slot(id).kind)) out[id] = Encoder::value_of(mdl.eval(s[id], true));
  return out;
}

std::vector<FieldValue> to_fields(const ir::Model& m, const std::vector<uint64_t>& v) {
  std::vector<FieldValue> out;
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    if (!shown(s.kind)) continue;
    out.push_back(FieldValue{ir::is_state(s.kind) ? "state" : "config", s.name, v[id], s.width});
  }
  return out;
}

}  // namespace

WitnessPair find_witness(const ir::Model& m, const ir::Check& c, const WitnessOptions& opts) {
  WitnessPair w;
  w.check = c.id;
  w.flavor = c.scope;
  z3::context ctx;
  Encoder enc(ctx, m);
  Valuation s = enc.state_vars("s");
  std::string reason;

  // 1. A state where the check applies and every check passes, as close to
  // RESET with the declared defaults as the checks allow.
  std::vector<uint64_t> pass;
  {
    z3::solver sv = make_solver(ctx, opts.limits);
    sv.add(enc.config_axioms() && enc.legal(s, c.scope));
    if (c.when) sv.add(enc.pred(*c.when, s));
    NearSolver near(sv, ctx);
    if (const ir::StateDef* reset = m.find_state("RESET")) {
      Valuation r = enc.apply_state(*reset, nullptr, "reset");
      for (ir::SlotId id = 0; id < m.slots.size(); ++id)
        if (ir::is_state(m.slot(id).kind)) near.prefer(s[id] == r[id]);
    }
    for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
      const ir::Slot& sl = m.slot(id);
      if (sl.kind == ir::SlotKind::Param && sl.default_value)
        near.prefer(s[id] == enc.num(*sl.default_value, sl.width));
      else if ((sl.kind == ir::SlotKind::Feature || sl.kind == ir::SlotKind::Control))
        near.prefer(s[id] == enc.num(sl.default_value.value_or(0), sl.width));
    }
    z3::check_result r = near.solve(reason);
    if (r == z3::unknown) {
      w.reason = reason;
      return w;
    }
    if (r == z3::unsat) {
      w.outcome = Outcome::Failed;
      w.reason = "no state passes every check where this one applies";
      return w;
    }
    pass = read_model(sv.get_model(), s, m);
  }

  // 2. A state that fails this check alone, changing as few slots, then as
  // few bits of them, as it can.
  z3::solver sv = make_solver(ctx, opts.limits);
  sv.add(enc.config_axioms() && !enc.holds(c, s));
  z3::expr_vector uses(ctx);
  for (const ir::Check& d : m.checks) {
    if (&d == &c || !applies_in(d.scope, c.scope)) continue;
    z3::expr lit = ctx.bool_const(("use!" + d.id).c_str());
    sv.add(z3::implies(lit, enc.holds(d, s)));
    uses.push_back(lit);
  }
  z3::check_result r = check(sv, uses, reason);
  if (r == z3::unknown) {
    w.reason = reason;
    return w;
  }
  if (r == z3::unsat) {
    w.outcome = Outcome::Failed;
    for (const z3::expr& k : shrink_core(sv, sv.unsat_core())) w.implied_by.push_back(k.decl().name().str().substr(4));
    std::sort(w.implied_by.begin(), w.implied_by.end());
    w.reason = "no state fails this check and passes every other";
    return w;
  }
  for (const z3::expr& u : uses) sv.add(u);
  std::vector<uint64_t> fail;
  {
    NearSolver near(sv, ctx);
    std::vector<ir::SlotId> ids;
    for (ir::SlotId id = 0; id < m.slots.size(); ++id)
      if (shown(m.slot(id).kind)) {
        near.prefer(s[id] == enc.num(pass[id], m.slot(id).width));
        ids.push_back(id);
      }
    if (near.solve(reason) != z3::sat) {
      w.reason = reason.empty() ? "Z3 lost the witness while minimising" : reason;
      return w;
    }
    // Bit level for the slots that had to change.
    std::vector<ir::SlotId> moved;
    for (size_t k = 0; k < ids.size(); ++k)
      if (!near.kept(k)) moved.push_back(ids[k]);
    for (ir::SlotId id : moved) {
      unsigned width = m.slot(id).width;
      for (unsigned b = 0; b < width; ++b)
        near.prefer(s[id].extract(b, b) == enc.num((pass[id] >> b) & 1, 1));
    }
    if (near.solve(reason) != z3::sat) {
      w.reason = reason.empty() ? "Z3 lost the witness while minimising" : reason;
      return w;
    }
    fail = read_model(sv.get_model(), s, m);
  }
  w.outcome = Outcome::Proved;
  w.passing = to_fields(m, pass);
  w.failing = to_fields(m, fail);
  for (ir::SlotId id = 0; id < m.slots.size(); ++id)
    if (shown(m.slot(id).kind) && pass[id] != fail[id]) w.changed.push_back(m.slot(id).name);
  return w;
}

}  // namespace vcpuspec::smt

#include "z3/mode_machine.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "ir/flow.hpp"
#include "z3/encode.hpp"
#include "z3/flow_encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

namespace {

// One solver per write; each question is a set of assumption literals, each
// literal implying one formula, so the shared part is asserted once.
class Asker {
 public:
  Asker(z3::context& ctx, const Limits& limits, ModeMachine& out) : ctx_(ctx), sv_(make_solver(ctx, limits)), out_(out) {}
  void add(const z3::expr& e) { sv_.add(e); }
  z3::expr lit(const z3::expr& e) {
    z3::expr l = ctx_.bool_const(("q!" + std::to_string(next_++)).c_str());
    sv_.add(z3::implies(l, e));
    return l;
  }
  // sat: true; unsat: false; unknown: false, and the machine is Unknown.
  bool sat(std::initializer_list<z3::expr> lits) {
    z3::expr_vector a(ctx_);
    for (const z3::expr& l : lits) a.push_back(l);
    ++out_.queries;
    std::string reason;
    z3::check_result r = check(sv_, a, reason);
    if (r == z3::unknown && out_.outcome != Outcome::Unknown) {
      out_.outcome = Outcome::Unknown;
      out_.reason = reason;
    }
    return r == z3::sat;
  }
  z3::model model() { return sv_.get_model(); }

 private:
  z3::context& ctx_;
  z3::solver sv_;
  ModeMachine& out_;
  unsigned next_ = 0;
};

// A field of a state by name: "CR0", "CR0.PG", "CS.ar". The machine names a
// few to place modes in the drawing and to describe a state in a problem; a
// spec without them cannot be drawn (the caller reports it).
z3::expr field(const ir::Model& m, const Valuation& v, const std::string& name) {
  if (auto id = m.find_slot(name)) return v[*id];
  auto dot = name.rfind('.');
  if (dot != std::string::npos)
    if (auto id = m.find_slot(name.substr(0, dot)))
      if (const ir::BitField* b = m.slot(*id).field(name.substr(dot + 1))) return v[*id].extract(b->hi, b->lo);
  throw std::invalid_argument(name);
}

// A few fields of a state that tell modes apart, for a problem message.
std::string describe(const ir::Model& m, z3::model& mdl, const Valuation& s) {
  std::ostringstream o;
  bool first = true;
  for (const char* f : {"CR0", "CR4", "EFER", "CS.ar", "RFLAGS", "ACTIVITY_STATE", "SMM"}) {
    uint64_t v = Encoder::value_of(mdl.eval(field(m, s, f), true));
    o << (first ? "" : ", ") << f << "=0x" << std::hex << v << std::dec;
    first = false;
  }
  return o.str();
}

// The 32-bit activity-state field holds one of four states (SDM Vol.3 25.4.2:
// active, HLT, shutdown, wait-for-SIPI); its other values are no state a CPU
// can be in, so the modes need not cover them.
z3::expr real_activity(const ir::Model& m, const Valuation& s) {
  z3::expr a = field(m, s, "ACTIVITY_STATE");
  return z3::ule(a, a.ctx().bv_val(3, a.get_sort().bv_size()));
}

}  // namespace

ModeMachine derive_mode_machine(const ir::Model& m, const Limits& limits) {
  ModeMachine out;
  for (const ir::Mode& md : m.modes) out.modes.push_back({md.id, md.text, md.cite, "", ""});
  if (m.modes.empty()) {
    out.problems.push_back("the spec declares no `mode`: there is no mode machine to derive");
    return out;
  }
  z3::context ctx;
  Encoder enc(ctx, m);
  const size_t n = m.modes.size();
  Valuation s = enc.state_vars("s");
  auto in = [&](size_t i, const Valuation& v) { return enc.pred(*m.modes[i].pred, v); };
  try {
    if (m.instructions.empty())
      out.problems.push_back("the spec declares no `instruction` or `signal`: there are no writes to try between modes");
    for (const auto& w : m.instructions) out.writes.push_back({w->label, w->cite, w->signal});

    // The modes partition the legal states.
    {
      Asker ask(ctx, limits, out);
      ask.add(enc.config_axioms() && enc.legal(s, "arch") && real_activity(m, s));
      std::vector<z3::expr> mode_lit;
      z3::expr any = ctx.bool_val(false);
      for (size_t i = 0; i < n; ++i) mode_lit.push_back(ask.lit(in(i, s))), any = any || in(i, s);
      // The bits that place a mode in the drawing: forced to 0, to 1, or not.
      const char* kPlace[] = {"CR0.PE", "CR0.PG", "EFER.LMA"};
      std::vector<std::pair<z3::expr, z3::expr>> bit_lit;  // (bit is 0, bit is 1)
      for (const char* b : kPlace) bit_lit.emplace_back(ask.lit(field(m, s, b) == 0), ask.lit(field(m, s, b) == 1));
      for (size_t i = 0; i < n; ++i) {
        if (!ask.sat({mode_lit[i]})) out.problems.push_back("mode " + m.modes[i].id + " holds in no legal state");
        std::vector<std::string> forced;
        for (size_t k = 0; k < bit_lit.size(); ++k) {
          bool can0 = ask.sat({mode_lit[i], bit_lit[k].first}), can1 = ask.sat({mode_lit[i], bit_lit[k].second});
          forced.push_back(can0 == can1 ? "" : std::string(kPlace[k]) + (can1 ? "=1" : "=0"));
        }
        if (forced[0] == "CR0.PE=1") out.modes[i].box = forced[0];
        if (!forced[1].empty() && !forced[2].empty()) out.modes[i].group = forced[1] + ", " + forced[2];
        for (size_t j = i + 1; j < n; ++j)
          if (ask.sat({mode_lit[i], mode_lit[j]})) {
            z3::model mdl = ask.model();
            out.problems.push_back("modes " + m.modes[i].id + " and " + m.modes[j].id + " overlap: both hold for " +
                                   describe(m, mdl, s));
          }
      }
      z3::expr none = ask.lit(!any);
      if (ask.sat({none})) {
        z3::model mdl = ask.model();
        out.problems.push_back("a legal state is in no mode: " + describe(m, mdl, s));
      }
    }
    if (!out.problems.empty() || out.outcome == Outcome::Unknown) return out;

    std::map<std::pair<size_t, size_t>, size_t> solid, refused;
    auto edge = [&](std::map<std::pair<size_t, size_t>, size_t>& index, size_t from, size_t to, bool is_refused) -> ModeEdge& {
      auto [it, fresh] = index.emplace(std::make_pair(from, to), out.edges.size());
      if (fresh) out.edges.push_back(ModeEdge{from, to, is_refused, {}, {}});
      return out.edges[it->second];
    };
    auto add_unique = [](std::vector<std::string>& v, const std::string& x) {
      if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    };

    // Power-up and RESET: the spec's RESET state, for the BSP and for an AP.
    if (const ir::StateDef* reset = m.reset_state()) {
      auto bsp = m.find_slot("vcpu.bsp");
      Valuation r = enc.apply_state(*reset, nullptr, "reset");
      Asker ask(ctx, limits, out);
      ask.add(enc.config_axioms());
      for (bool is_bsp : {true, false}) {
        z3::expr who = bsp ? ask.lit(enc.config_var(*bsp) == (is_bsp ? 1 : 0)) : ask.lit(ctx.bool_val(true));
        for (size_t b = 0; b < n; ++b)
          if (ask.sat({who, ask.lit(in(b, r))}))
            add_unique(edge(solid, ModeEdge::kResetNode, b, false).writes, is_bsp || !bsp ? "RESET (BSP)" : "RESET (AP)");
      }
    }

    // Every single write from every mode to every other one.
    std::vector<std::pair<size_t, size_t>> refused_order;
    for (const auto& w : m.instructions) {
      InstructionTerms st = encode_instruction(enc, *w, s);
      Asker ask(ctx, limits, out);
      ask.add(enc.config_axioms() && enc.legal(s, "arch") && real_activity(m, s) && st.assumptions);
      z3::expr ok = enc.legal(st.after, "arch");
      std::vector<std::pair<const ir::Transition*, z3::expr>> broken;  // a rule of this write, broken
      for (const ir::Transition& t : m.transitions) {
        bool applies = std::any_of(t.on_names.begin(), t.on_names.end(), [&](const std::string& r) {
          return std::find(w->on.begin(), w->on.end(), r) != w->on.end();
        });
        if (!applies) continue;
        z3::expr when = t.when ? enc.pred(*t.when, st.after, &s) : ctx.bool_val(true);
        z3::expr holds = enc.pred(*t.assertion, st.after, &s);
        ok = ok && z3::implies(when, holds);
        broken.emplace_back(&t, when && !holds);
      }
      z3::expr ok_lit = ask.lit(ok);
      std::vector<z3::expr> broken_lit;
      for (auto& [t, e] : broken) broken_lit.push_back(ask.lit(e));
      // A refused write never leaves a state, but the one it would leave must
      // still be one the rule alone forbids: it passes every state check that
      // breaking the rule does not force to fail (CR0.PG=1 with PE=0 is not
      // "long mode without PAE", it is another fault).
      std::vector<z3::expr> check_lit;
      for (const ir::Check& c : m.checks)
        if (applies_in(c.scope, "arch")) check_lit.push_back(ask.lit(enc.holds(c, st.after)));
      std::vector<z3::expr> relaxed_lit;
      for (size_t k = 0; k < broken.size(); ++k) {
        z3::expr rest = ctx.bool_val(true);
        for (const z3::expr& c : check_lit)
          if (ask.sat({broken_lit[k], c})) rest = rest && c;
        relaxed_lit.push_back(ask.lit(rest));
      }
      std::vector<z3::expr> from_lit, to_lit;
      for (size_t i = 0; i < n; ++i) from_lit.push_back(ask.lit(in(i, s))), to_lit.push_back(ask.lit(in(i, st.after)));
      for (size_t a = 0; a < n; ++a) {
        if (!ask.sat({from_lit[a]})) continue;
        for (size_t b = 0; b < n; ++b) {
          if (a == b || !ask.sat({from_lit[a], to_lit[b]})) continue;
          if (ask.sat({from_lit[a], to_lit[b], ok_lit})) add_unique(edge(solid, a, b, false).writes, w->label);
          for (size_t k = 0; k < broken.size(); ++k)
            if (ask.sat({from_lit[a], to_lit[b], broken_lit[k], relaxed_lit[k]})) {
              ModeEdge& e = edge(refused, a, b, true);
              add_unique(e.writes, w->label);
              add_unique(e.rules, broken[k].first->id);
            }
        }
      }
      if (out.outcome == Outcome::Unknown) return out;
    }
    // Solid edges first, then the refused ones; each group by (from, to).
    std::stable_sort(out.edges.begin(), out.edges.end(), [](const ModeEdge& x, const ModeEdge& y) {
      auto key = [](const ModeEdge& e) { return std::make_tuple(e.refused, e.from + 1, e.to); };
      return key(x) < key(y);
    });
    for (const ir::Transition& t : m.transitions)
      for (const ModeEdge& e : out.edges)
        if (std::find(e.rules.begin(), e.rules.end(), t.id) != e.rules.end()) {
          out.rules.push_back(t.id);
          break;
        }
  } catch (const std::invalid_argument& missing) {
    out.problems.push_back(std::string("the mode machine needs ") + missing.what() +
                           ", which this spec does not declare");
  }
  return out;
}

}  // namespace vcpuspec::smt

#include "z3/prove.hpp"

#include <algorithm>
#include <set>

#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

namespace {

// Values that explain a failure of `check` on state `def`: the state fields
// the check reads, and the configuration and previous-state fields those
// fields were computed from.
std::vector<FieldValue> counterexample(Encoder& enc, const z3::model& m, const ir::StateDef& def,
                                       const ir::Check& check, const Valuation& s, const Valuation* prev) {
  const ir::Model& model = enc.model();
  std::set<ir::SlotId> config, prev_reads;
  std::vector<ir::SlotId> state_reads;
  for (ir::SlotId id : check.reads) {
    if (!ir::is_state(model.slot(id).kind)) {
      config.insert(id);
      continue;
    }
    state_reads.push_back(id);
    if (!def.init[id]) continue;
    for (const ir::Piece& p : def.init[id]->pieces) {
      std::vector<ir::SlotId> r;
      ir::collect_reads(*p.value, r);
      for (ir::SlotId x : r) {
        if (!ir::is_state(model.slot(x).kind)) config.insert(x);
        else if (ir::reads_frame(*p.value, ir::Frame::Prev)) prev_reads.insert(x);
      }
    }
  }
  std::vector<FieldValue> out;
  for (ir::SlotId id : config)
    out.push_back({"config", model.slot(id).name, Encoder::value_of(m.eval(enc.config_var(id), true)),
                   model.slot(id).width});
  if (prev)
    for (ir::SlotId id : prev_reads)
      out.push_back({"prev", model.slot(id).name, Encoder::value_of(m.eval((*prev)[id], true)), model.slot(id).width});
  for (ir::SlotId id : state_reads)
    out.push_back({def.name, model.slot(id).name, Encoder::value_of(m.eval(s[id], true)), model.slot(id).width});
  return out;
}

}  // namespace

std::vector<Obligation> prove_states(const ir::Model& model, const ProveOptions& opts) {
  std::vector<Obligation> out;
  z3::context ctx;
  Encoder enc(ctx, model);
  z3::expr axioms = enc.config_axioms();

  for (const ir::StateDef& def : model.states) {
    // A VMM's state (`for RESET`) claims what a VMM does, not what a CPU
    // does: `compare` runs the checks on it and reports those it fails.
    if (!def.for_state.empty() || !selected(opts.states, def.name)) continue;
    Valuation prev = enc.state_vars("prev");
    Valuation s = enc.apply_state(def, def.parametric() ? &prev : nullptr, def.name);
    z3::expr assumption = def.parametric() ? axioms && enc.legal(prev) : axioms;

    for (const ir::Check& c : model.checks) {
      if (c.scope != "arch" || !selected(opts.checks, c.id)) continue;
      Obligation ob;
      ob.id = def.name + "|" + c.id;
      ob.kind = "state-legal";
      ob.state = def.name;
      ob.check = c.id;
      ob.text = def.parametric() ? def.name + "(" + *def.prev_name + ") satisfies " + c.id + " for every legal " +
                                       *def.prev_name
                                 : def.name + " satisfies " + c.id;
      ob.cite = c.cite;
      z3::solver solver = make_solver(ctx, opts.limits);
      solver.add(assumption);
      solver.add(!enc.holds(c, s));
      std::string reason;
      switch (check(solver, reason)) {
        case z3::unsat: ob.outcome = Outcome::Proved; break;
        case z3::sat:
          ob.outcome = Outcome::Failed;
          ob.counterexample = counterexample(enc, solver.get_model(), def, c, s, def.parametric() ? &prev : nullptr);
          break;
        case z3::unknown:
          ob.outcome = Outcome::Unknown;
          ob.reason = reason;
          break;
      }
      out.push_back(std::move(ob));
    }

    if (!def.parametric() || !opts.checks.empty()) continue;
    // Idempotence: S(S(x)) == S(x) on every bit S defines.
    Obligation ob;
    ob.id = def.name + "|idempotent";
    ob.kind = "state-idempotent";
    ob.state = def.name;
    ob.text = def.name + "(" + def.name + "(s)) = " + def.name + "(s) on every bit " + def.name + " defines";
    ob.cite = def.cite;
    Valuation once = enc.apply_state(def, &prev, def.name + "1");
    Valuation twice = enc.apply_state(def, &once, def.name + "2");
    z3::expr differs = ctx.bool_val(false);
    std::vector<ir::SlotId> compared;
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      if (!def.init[id]) continue;
      uint64_t care = def.init[id]->care_mask();
      if (!care) continue;
      z3::expr mask = enc.num(care, model.slot(id).width);
      differs = differs || (once[id] & mask) != (twice[id] & mask);
      compared.push_back(id);
    }
    z3::solver solver = make_solver(ctx, opts.limits);
    solver.add(axioms);
    solver.add(differs);
    std::string reason;
    switch (check(solver, reason)) {
      case z3::unsat: ob.outcome = Outcome::Proved; break;
      case z3::sat: {
        ob.outcome = Outcome::Failed;
        z3::model m = solver.get_model();
        for (ir::SlotId id : compared) {
          uint64_t care = def.init[id]->care_mask();
          uint64_t a = Encoder::value_of(m.eval(once[id], true)) & care;
          uint64_t b = Encoder::value_of(m.eval(twice[id], true)) & care;
          if (a == b) continue;
          ob.reason += (ob.reason.empty() ? "" : ", ") + model.slot(id).name;
          ob.counterexample.push_back({"prev", model.slot(id).name, Encoder::value_of(m.eval(prev[id], true)),
                                       model.slot(id).width});
          ob.counterexample.push_back({def.name + "(prev)", model.slot(id).name, a, model.slot(id).width});
          ob.counterexample.push_back({def.name + "(" + def.name + "(prev))", model.slot(id).name, b,
                                       model.slot(id).width});
        }
        break;
      }
      case z3::unknown:
        ob.outcome = Outcome::Unknown;
        ob.reason = reason;
        break;
    }
    out.push_back(std::move(ob));
  }
  return out;
}

}  // namespace vcpuspec::smt

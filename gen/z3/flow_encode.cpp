#include "z3/flow_encode.hpp"

#include <stdexcept>

namespace vcpuspec::smt {

namespace {

// Runs `f`'s program from `t.start` (model slots, then the temps).
void run(Encoder& enc, const ir::Flow& f, FlowTerms& t) {
  z3::context& ctx = enc.ctx();
  const ir::Model& m = enc.model();
  Valuation cur = t.start;
  for (const ir::Instr& in : f.code) {
    if (in.kind == ir::Instr::Kind::Step) {
      t.after.push_back(cur);
      continue;
    }
    z3::expr guard = in.guard ? enc.pred(*in.guard, cur, &t.start) : ctx.bool_val(true);
    auto write = [&](ir::SlotId slot, const z3::expr& next) {
      cur[slot] = in.guard ? z3::ite(guard, next, cur[slot]) : next;
    };
    switch (in.kind) {
      case ir::Instr::Kind::Assign: {
        unsigned w = ir::flow_slot(m, f, in.slot).width;
        write(in.slot, splice(cur[in.slot], enc.bv(*in.value, cur, &t.start), in.hi, in.lo, w));
        break;
      }
      case ir::Instr::Kind::Any: {
        const ir::Slot& s = ir::flow_slot(m, f, in.slot);
        std::string name = enc.fresh_instance(f.name + "!" + s.name + "[" + std::to_string(in.hi) + ":" +
                                              std::to_string(in.lo) + "]");
        z3::expr v = ctx.bv_const(name.c_str(), in.hi - in.lo + 1);
        write(in.slot, splice(cur[in.slot], v, in.hi, in.lo, s.width));
        break;
      }
      case ir::Instr::Kind::Load: {
        std::string instance = enc.fresh_instance(f.name + "!" + (in.state ? in.state->name : "any"));
        Valuation next = in.state ? enc.apply_state(*in.state, &cur, instance) : enc.state_vars(instance);
        for (ir::SlotId id = 0; id < m.slots.size(); ++id)
          if (ir::is_state(m.slot(id).kind)) write(id, next[id]);
        break;
      }
      case ir::Instr::Kind::Emit: t.emits.push_back(FlowTerms::Emit{in.event, guard, cur}); break;
      case ir::Instr::Kind::Assume:
        t.assumptions = t.assumptions && z3::implies(guard, enc.pred(*in.value, cur, &t.start));
        break;
      case ir::Instr::Kind::Enter: case ir::Instr::Kind::Leave: case ir::Instr::Kind::Step: break;
    }
  }
  t.after.push_back(cur);  // the final state, also when the last statement is not a step
}

}  // namespace

FlowTerms encode_flow(Encoder& enc, const ir::Flow& f) {
  z3::context& ctx = enc.ctx();
  const ir::Model& m = enc.model();
  FlowTerms t{{}, {}, {}, ctx.bool_val(true)};
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    t.start.push_back(ir::is_flow_state(s.kind) ? ctx.bv_const(("start!" + s.name).c_str(), s.width)
                                                : enc.config_var(id));
  }
  for (const ir::Slot& tmp : f.temps) t.start.push_back(enc.num(0, tmp.width));
  run(enc, f, t);
  t.after.pop_back();  // a flow's states are those after its steps
  return t;
}

InstructionTerms encode_instruction(Encoder& enc, const ir::Instruction& in, const Valuation& before) {
  const size_t n = enc.model().slots.size();
  if (before.size() != n) throw std::logic_error("encode_instruction: `before` is not one state");
  FlowTerms t{before, {}, {}, enc.ctx().bool_val(true)};
  for (const ir::Slot& tmp : in.program.temps) t.start.push_back(enc.num(0, tmp.width));
  run(enc, in.program, t);
  const Valuation& last = t.after.back();
  return InstructionTerms{Valuation(last.begin(), last.begin() + static_cast<long>(n)), t.assumptions};
}

z3::expr feasible_start(Encoder& enc, const FlowTerms& t) {
  Valuation arch(t.start.begin(), t.start.begin() + static_cast<long>(enc.model().slots.size()));
  return enc.config_axioms() && enc.legal(arch, "arch") && t.assumptions;
}

z3::expr property_premise(Encoder& enc, const ir::Property& p, const FlowTerms& t) {
  z3::expr pre = enc.ctx().bool_val(true);
  if (p.when) pre = pre && enc.pred(*p.when, t.start, &t.start);
  if (p.form == ir::Property::Form::Always) pre = pre && enc.pred(*p.body, t.start, &t.start);
  return pre;
}

z3::expr property_violated(Encoder& enc, const ir::Property& p, const FlowTerms& t) {
  z3::context& ctx = enc.ctx();
  const ir::Model& m = enc.model();
  z3::expr bad = ctx.bool_val(false);
  switch (p.form) {
    case ir::Property::Form::Always:
      for (const Valuation& s : t.after) bad = bad || !enc.pred(*p.body, s, &t.start);
      return bad;
    case ir::Property::Form::AtEvent:
      for (const FlowTerms::Emit& e : t.emits)
        if (e.event == p.event) bad = bad || (e.guard && !enc.pred(*p.body, e.state, &t.start));
      return bad;
    case ir::Property::Form::Finally: return !enc.pred(*p.body, t.final_state(), &t.start);
    case ir::Property::Form::FinallyIn: {
      Valuation want = enc.apply_state(*p.state, &t.start, "want");
      Valuation got = t.final_state();
      for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
        if (!ir::is_state(m.slot(id).kind) || !p.state->init[id]) continue;
        uint64_t care = p.state->init[id]->care_mask();
        for (const auto& [slot, bits] : p.except)
          if (slot == id) care &= ~bits;
        if (!care) continue;
        z3::expr mask = enc.num(care, m.slot(id).width);
        bad = bad || (got[id] & mask) != (want[id] & mask);
      }
      return bad;
    }
    case ir::Property::Form::Order: {
      z3::expr seen = ctx.bool_val(false);
      for (const FlowTerms::Emit& e : t.emits) {
        if (e.event == p.event) seen = seen || e.guard;
        else if (e.event == p.before_event) bad = bad || (e.guard && !seen);
      }
      return bad;
    }
  }
  return bad;
}

}  // namespace vcpuspec::smt

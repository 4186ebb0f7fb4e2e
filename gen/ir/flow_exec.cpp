#include "ir/flow_exec.hpp"

#include <stdexcept>

namespace vcpuspec::ir {

namespace {

bool guard_holds(const Instr& in, const Values& cur) { return !in.guard || evaluate(*in.guard, cur, nullptr) != 0; }

}  // namespace

FlowTrace run_flow(const Model& m, const Flow& f, const Values& inputs) {
  FlowTrace t;
  t.start = inputs;
  t.start.resize(m.slots.size() + f.temps.size(), 0);
  Values cur = t.start;
  t.calls.resize(f.steps.size());
  for (size_t i = 0; i < f.code.size(); ++i) {
    const Instr& in = f.code[i];
    if (in.kind == Instr::Kind::Step) {
      t.after.push_back(cur);
      continue;
    }
    if (!guard_holds(in, cur)) continue;
    switch (in.kind) {
      case Instr::Kind::Assign: {
        uint64_t mask = range_mask(in.hi, in.lo);
        uint64_t v = evaluate(*in.value, cur, &t.start);
        cur[in.slot] = (cur[in.slot] & ~mask) | ((v << in.lo) & mask);
        break;
      }
      case Instr::Kind::Emit: t.emits.push_back(EmitPoint{in.event, in.step, in.call, i, cur}); break;
      case Instr::Kind::Assume:
        if (t.feasible && evaluate(*in.value, cur, &t.start) == 0) {
          t.feasible = false;
          t.failed_assume = in.loc;
        }
        break;
      case Instr::Kind::Enter: t.calls[in.step].push_back(in.call); break;
      case Instr::Kind::Leave: case Instr::Kind::Step: break;
      case Instr::Kind::Any: case Instr::Kind::Load:
        throw std::logic_error("flow_exec: `:= any` and `state :=` belong to instructions, not flows");
    }
  }
  return t;
}

Values apply_state(const Model& m, const StateDef& def, const Values& start, std::vector<uint64_t>& care) {
  Values out(m.slots.size(), 0);
  care.assign(m.slots.size(), 0);
  for (SlotId id = 0; id < m.slots.size(); ++id) {
    if (!is_state(m.slot(id).kind) || !def.init[id]) continue;
    for (const Piece& p : def.init[id]->pieces) {
      uint64_t v = evaluate(*p.value, start, &start);
      out[id] |= (v << p.lo) & p.mask();
      care[id] |= p.mask();
    }
  }
  return out;
}

Verdict evaluate_property(const Model& m, const Flow& f, const Property& p, const FlowTrace& t) {
  Verdict v;
  v.step = static_cast<uint32_t>(f.steps.size());
  if (!t.feasible) {  // an `assume` failed: not a run the flow can have
    v.applies = false;
    return v;
  }
  if (p.when && evaluate(*p.when, t.start, &t.start) == 0) {
    v.applies = false;
    return v;
  }
  auto holds_in = [&](const Values& s) { return evaluate(*p.body, s, &t.start) != 0; };
  switch (p.form) {
    case Property::Form::Always:
      // An invariant the flow must preserve: assumed at the start.
      if (!holds_in(t.start)) {
        v.applies = false;
        return v;
      }
      for (uint32_t k = 0; k < t.after.size(); ++k)
        if (!holds_in(t.after[k])) {
          v.holds = false;
          v.step = k;
          return v;
        }
      return v;
    case Property::Form::AtEvent:
      for (size_t i = 0; i < t.emits.size(); ++i)
        if (t.emits[i].event == p.event && !holds_in(t.emits[i].state)) {
          v.holds = false;
          v.step = t.emits[i].step;
          v.emit = static_cast<int>(i);
          return v;
        }
      return v;
    case Property::Form::Finally:
      v.holds = holds_in(t.final_state());
      return v;
    case Property::Form::FinallyIn: {
      std::vector<uint64_t> care;
      Values want = apply_state(m, *p.state, t.start, care);
      for (const auto& [slot, bits] : p.except) care[slot] &= ~bits;
      const Values& got = t.final_state();
      for (SlotId id = 0; id < m.slots.size(); ++id)
        if ((got[id] & care[id]) != (want[id] & care[id])) v.fields.push_back(id);
      v.holds = v.fields.empty();
      return v;
    }
    case Property::Form::Order: {
      bool seen_first = false;
      for (size_t i = 0; i < t.emits.size(); ++i) {
        if (t.emits[i].event == p.event) seen_first = true;
        // `A before A` is vacuous; otherwise a B with no A before it breaks it.
        else if (t.emits[i].event == p.before_event && !seen_first) {
          v.holds = false;
          v.step = t.emits[i].step;
          v.emit = static_cast<int>(i);
          return v;
        }
      }
      return v;
    }
  }
  return v;
}

}  // namespace vcpuspec::ir

// Concrete execution of a flow and concrete evaluation of its properties:
// the reference semantics the Z3 lowering (z3/flow_encode) must agree with.
// Counterexample step tables are made by re-running Z3's inputs through here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/flow.hpp"

namespace vcpuspec::ir {

// Every value of one run, indexed by SlotId (model slots, then the flow's temps).
using Values = std::vector<uint64_t>;

struct EmitPoint {
  EventId event = 0;
  uint32_t step = 0;
  uint32_t call = 0;  // the op it happened in, + 1; 0 at the flow's top level
  size_t index = 0;   // position in the flow's code: order of events
  Values state;
};

struct FlowTrace {
  Values start;                  // inputs: start state and configuration
  std::vector<Values> after;     // the state after each step
  std::vector<std::vector<uint32_t>> calls;  // the op calls each step made, in order
  std::vector<EmitPoint> emits;  // every event, in order
  bool feasible = true;          // every `assume` on the path held
  Loc failed_assume;
  const Values& final_state() const { return after.empty() ? start : after.back(); }
};

// `inputs` has a value for every model slot (state, vars and configuration);
// temporaries start at 0.
FlowTrace run_flow(const Model& m, const Flow& f, const Values& inputs);

// The state `def` gives, with INIT's prev bound to `start`; `care` gets the
// bits it defines (unspecified and undefined bits are not compared).
Values apply_state(const Model& m, const StateDef& def, const Values& start, std::vector<uint64_t>& care);

struct Verdict {
  bool applies = true;  // the property's `when` held
  bool holds = true;
  uint32_t step = 0;    // where it broke: the step (or steps.size() for the end)
  int emit = -1;        // index into FlowTrace::emits, for `at event` and `order`
  std::vector<SlotId> fields;  // FinallyIn: slots that differ
};

Verdict evaluate_property(const Model& m, const Flow& f, const Property& p, const FlowTrace& t);

}  // namespace vcpuspec::ir

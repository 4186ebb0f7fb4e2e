// A flow in Z3: symbolic execution of the inlined program, one SSA term per
// write, and the negation of each property over those terms.
// Private to vcpuspec_z3, like encode.hpp.
#pragma once
#include <vector>

#include "ir/flow.hpp"
#include "z3/encode.hpp"

namespace vcpuspec::smt {

struct FlowTerms {
  Valuation start;               // model slots, then the flow's temps
  std::vector<Valuation> after;  // after each step
  struct Emit {
    ir::EventId event;
    z3::expr guard;
    Valuation state;
  };
  std::vector<Emit> emits;       // in program order
  z3::expr assumptions;          // every `assume`, under its path condition
  Valuation final_state() const { return after.empty() ? start : after.back(); }
};

// Start-state slots and vars are fresh constants "start!<slot>"; configuration
// and flow formals are the shared configuration constants.
FlowTerms encode_flow(Encoder& enc, const ir::Flow& f);

// An instruction (or signal) taken from state `before`: the state it leaves,
// and what its `assume`s require of `before` and of its operands.
struct InstructionTerms {
  Valuation after;  // model slots only
  z3::expr assumptions;
};
InstructionTerms encode_instruction(Encoder& enc, const ir::Instruction& in, const Valuation& before);

// The runs worth considering: configuration in range, a legal vCPU at the
// start (every `arch` check), and every `assume` of the flow met.
z3::expr feasible_start(Encoder& enc, const FlowTerms& t);

// The property's `when` (and, for `always`, the invariant at the start).
z3::expr property_premise(Encoder& enc, const ir::Property& p, const FlowTerms& t);
// The property fails on this run.
z3::expr property_violated(Encoder& enc, const ir::Property& p, const FlowTerms& t);

}  // namespace vcpuspec::smt

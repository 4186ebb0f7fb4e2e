// DOT text for flows: one node per step, with the fields it writes and the
// events it emits; a counterexample drawn over it; two flows side by side.
// Text only (deterministic, golden-tested); libgvc renders it elsewhere.
#pragma once
#include <string>
#include <vector>

#include "ir/flow.hpp"
#include "z3/results.hpp"  // plain data: the counterexample's step rows

namespace vcpuspec::emit {

// One flow, top to bottom.
std::string flow_dot(const ir::Model& m, const ir::Flow& f);

// The flow with a counterexample on it: executed steps filled, the breaking
// step red with the changed values, the property in the legend.
std::string counterexample_dot(const ir::Model& m, const ir::Flow& f, const smt::FlowObligation& ob);

// Two flows side by side (e.g. 5.10 and 5.15). Registers whose first writes
// come in a different order in the two flows are marked red in both.
std::string compare_dot(const ir::Model& m, const ir::Flow& a, const ir::Flow& b);

// The CPU mode machine Z3 derived: one node per mode (the protected-mode ones
// boxed), solid edges for the writes that move a legal state between them,
// dashed red ones for the writes a rule refuses, the rules in the legend.
// Edges that every boxed mode shares with one outside mode are drawn once.
std::string modes_dot(const ir::Model& m, const smt::ModeMachine& mm);

}  // namespace vcpuspec::emit

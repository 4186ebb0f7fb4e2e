// The CPU mode machine, derived by Z3 from the spec's `mode` predicates, its
// state checks and write rules, and its `instruction`s and `signal`s.
#pragma once
#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

// Proves the modes disjoint and covering (every legal state is in exactly one
// mode), then derives every edge. Queries count towards `queries`.
ModeMachine derive_mode_machine(const ir::Model& m, const Limits& limits = {});

}  // namespace vcpuspec::smt

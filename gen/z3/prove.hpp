// Proof obligations about the spec's states:
//  - every state satisfies every architectural check (INIT for every legal prev);
//  - applying a parametric state twice equals applying it once on the bits
//    it defines (INIT(INIT(s)) = INIT(s)).
#pragma once
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

struct ProveOptions {
  Limits limits;
  std::vector<std::string> states;  // empty: all
  std::vector<std::string> checks;  // empty: all arch checks
};

std::vector<Obligation> prove_states(const ir::Model& model, const ProveOptions& opts);

}  // namespace vcpuspec::smt

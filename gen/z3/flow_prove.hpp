// Proves every property on every flow it applies to. A failure comes with a
// minimal counterexample (inputs off their defaults only where needed),
// replayed through the concrete interpreter into a step table.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

struct FlowProveOptions {
  Limits limits;
  std::vector<std::string> flows;       // empty: all
  std::vector<std::string> properties;  // empty: all
};

std::vector<FlowObligation> prove_flows(const ir::Model& model, const FlowProveOptions& opts);

// For the differential test: the Z3 lowering evaluated on fixed inputs (one
// value per model slot). `final_state` is the flow's end state over the model
// slots; `violated[i]` says whether property i (model order) is applicable and
// broken on this run (false for properties that do not apply to the flow).
struct FlowGroundEval {
  std::vector<uint64_t> final_state;
  std::vector<bool> violated;
};
class FlowGroundEvaluator {
 public:
  FlowGroundEvaluator(const ir::Model& model, const ir::Flow& flow);
  ~FlowGroundEvaluator();
  FlowGroundEval eval(const std::vector<uint64_t>& inputs);
  // Up to `n` inputs the flow can really start from (a legal vCPU, every
  // `assume` met), varied by Z3's random phase with seeds seed, seed+1, ...
  std::vector<std::vector<uint64_t>> sample_feasible(unsigned n, unsigned seed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vcpuspec::smt

// Evaluates checks and states on concrete values through Z3: the solver's
// reading of the spec, which the generated C++ must agree with
// (tests/differential). Slow (a Z3 rewrite per state) but independent.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ir/ir.hpp"

namespace vcpuspec::smt {

class GroundEvaluator {
 public:
  explicit GroundEvaluator(const ir::Model& model);
  ~GroundEvaluator();
  GroundEvaluator(const GroundEvaluator&) = delete;
  GroundEvaluator& operator=(const GroundEvaluator&) = delete;

  // holds(check) for every check in model order; `values` indexed by SlotId.
  std::vector<bool> checks(const std::vector<uint64_t>& values);
  // holds(transition) for every transition in model order, for the write
  // from `old` to `cur` (both indexed by SlotId; configuration from `cur`).
  std::vector<bool> transitions(const std::vector<uint64_t>& cur, const std::vector<uint64_t>& old);
  // The slots state `def` gives from previous-state values and configuration
  // (`prev` holds both; indexed by SlotId). Unspecified bits come out as 0;
  // compare under SlotInit::care_mask().
  std::vector<uint64_t> state(const ir::StateDef& def, const std::vector<uint64_t>& prev);
  // The value of `e` (Frame::Cur only) on `values`.
  uint64_t value(const ir::Expr& e, const std::vector<uint64_t>& values);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vcpuspec::smt

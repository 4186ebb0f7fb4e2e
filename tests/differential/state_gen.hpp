// Deterministic generators of vCPU states for the differential tests:
// boundary states (all zero, all ones, every bitfield at its edges, every
// bit alone) and random ones (uniform, "interesting" values, mutations of
// RESET). Values always fit their slot's width.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "ir/ir.hpp"

namespace vcpuspec::test {

class StateGen {
 public:
  StateGen(const ir::Model& m, uint64_t seed);

  // The RESET state with random configuration (unspecified bits random).
  std::vector<uint64_t> reset_like();
  // Boundary states: deterministic, a few thousand.
  std::vector<std::vector<uint64_t>> boundary();
  // One random state; `kind` cycles through the random strategies.
  std::vector<uint64_t> random(unsigned kind);
  // A value for one slot: interesting or random.
  uint64_t value_for(ir::SlotId id);
  std::mt19937_64& rng() { return rng_; }

 private:
  uint64_t masked(ir::SlotId id, uint64_t v) const { return v & ir::mask_of(m_.slot(id).width); }
  const ir::Model& m_;
  std::mt19937_64 rng_;
  std::vector<uint64_t> reset_;
};

}  // namespace vcpuspec::test

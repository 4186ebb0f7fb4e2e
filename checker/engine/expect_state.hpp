// Compares an input with a spec state (RESET, INIT). The generated C++
// decides every field whose expected bits follow from what the input gives;
// when some do not (configuration missing, INIT without --before), the Z3
// comparison decides exactly, with the unknowns existentially free.
#pragma once
#include <span>
#include <string>

#include "ir/ir.hpp"
#include "readers/input.hpp"
#include "runtime/check.hpp"
#include "z3/expect.hpp"

namespace vcpuspec::engine {

struct ExpectOptions {
  smt::Limits limits;
  bool force_solver = false;  // skip the C++ path (tests)
};

// `model` is only used when the C++ path cannot decide; may be null, in
// which case undecided fields are reported as not compared.
smt::ExpectReport expect_state(const rt::StateInfo& state, readers::Slots slots, const readers::StateInput& in,
                               const readers::StateInput* before, const ir::Model* model, const ExpectOptions& opts,
                               bool* used_solver = nullptr);

// The input's first `n` slots as the Z3 analyses take them: a value and whether it is known.
smt::KnownValues known_values(const readers::StateInput& in, size_t n);

// Whether the C++ path alone can decide (no cared bit depends on a missing input).
bool expect_decidable(const rt::StateInfo& state, readers::Slots slots, const readers::StateInput& in,
                      const readers::StateInput* before);

}  // namespace vcpuspec::engine

// Whether a verdict on a partial state holds for every completion of it:
// the exact question the checker's three-valued evaluation approximates.
// Used by tests/differential to prove that approximation sound.
#pragma once
#include "ir/ir.hpp"
#include "z3/expect.hpp"

namespace vcpuspec::smt {

enum class ForcedVerdict { NotApplicable, Pass, Fail };

// True when every assignment to the slots `known` lacks (configuration in
// its declared ranges or not: any 64-bit value that fits) gives `verdict`.
bool verdict_forced(const ir::Model& model, const ir::Check& check, const KnownValues& known, ForcedVerdict verdict);

}  // namespace vcpuspec::smt

// A witness pair as text (for `witness` and `explain`) and as JSON.
#pragma once
#include <string>

#include "ir/ir.hpp"
#include "readers/input.hpp"
#include "z3/witness.hpp"

namespace vcpuspec::report {

// The fields the check reads in both states, what changed, and how to get
// each state as JSON. `indent` prefixes every line.
std::string witness_text(const ir::Model& m, const ir::Check& c, const smt::WitnessPair& w, const std::string& indent);

// {"schema": "vcpuspec.witness/1", "check", "outcome", ..., "pass": STATE, "fail": STATE}
// Ends with `exit_code`, as every JSON output does.
std::string witness_json(readers::Slots slots, const smt::WitnessPair& w, int exit_code);

}  // namespace vcpuspec::report

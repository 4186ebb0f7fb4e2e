// Writes the state JSON (`vcpuspec.state/1`) from named slot values, so that
// whatever vcpuspec produces (witnesses) reads back through `vcpuspec check`.
#pragma once
#include <string>
#include <vector>

#include "readers/input.hpp"
#include "z3/results.hpp"

namespace vcpuspec::report {

// Values name slots of `slots`; names that are not slots are skipped.
// Params and features go under "config", controls under "controls",
// segment and descriptor-table members into their group's object.
std::string write_state_json(readers::Slots slots, const std::string& flavor, const std::string& source,
                             const std::vector<smt::FieldValue>& values);

}  // namespace vcpuspec::report

// Reports of flow properties: the counterexample step tables (text), the
// same data as JSON (inside vcpuspec.prove/1), and the hazards table (Markdown).
#pragma once
#include <string>
#include <vector>

#include "z3/results.hpp"

namespace vcpuspec::report {

std::string flows_text(const std::vector<smt::FlowObligation>& obs, bool verbose);
// The "flow_obligations" array of vcpuspec.prove/1, as JSON text.
std::string flows_json_array(const std::vector<smt::FlowObligation>& obs, int indent);
// docs/hazards.md: one row per property, one column per kernel.
std::string hazards_markdown(const std::vector<smt::FlowObligation>& obs, const std::string& spec_name);

}  // namespace vcpuspec::report

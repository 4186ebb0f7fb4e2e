// Reports of `vcpuspec compare`: each VMM's RESET and INIT against the
// architecture's, as text, as JSON (vcpuspec.compare/1), and as the
// VMM x field table of docs/vmms.md.
#pragma once
#include <string>
#include <vector>

#include "support/source.hpp"
#include "z3/compare_states.hpp"

namespace vcpuspec::report {

std::string vmms_text(const std::vector<smt::StateComparison>& cmps, const SourceManager& sm, bool verbose);
std::string vmms_json(const std::vector<smt::StateComparison>& cmps, const SourceManager& sm,
                      const std::string& spec_name, int exit_code);
std::string vmms_markdown(const std::vector<smt::StateComparison>& cmps, const std::string& spec_name);

}  // namespace vcpuspec::report

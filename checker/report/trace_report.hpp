// Reports of `vcpuspec check --trace`: the first bad step of each vCPU with
// the rule, the facts and the citation, then what was replayed and what was
// left undecided. Text for people, JSON (vcpuspec.trace/1) for tools.
#pragma once
#include <string>
#include <vector>

#include "engine/replay_trace.hpp"

namespace vcpuspec::report {

inline constexpr const char* kTraceSchema = "vcpuspec.trace/1";

std::string trace_text(const readers::Trace& t, const std::vector<engine::TraceRun>& runs, readers::Slots slots,
                       const std::string& flavor);
std::string trace_json(const readers::Trace& t, const std::vector<engine::TraceRun>& runs, readers::Slots slots,
                       const std::string& flavor, int exit_code);

}  // namespace vcpuspec::report

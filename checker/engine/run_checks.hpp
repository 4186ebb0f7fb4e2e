// Runs the generated checks on one input: a verdict per applicable check,
// the facts behind each failure, the missing fields behind each unknown.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "readers/input.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::engine {

struct CheckResult {
  const rt::CheckInfo* info = nullptr;
  rt::Verdict verdict = rt::Verdict::Unknown;
  std::vector<rt::Fact> facts;        // for Fail
  std::vector<std::string> missing;   // for Unknown: the fields the check reads that the input lacks
};

struct CheckRun {
  std::vector<CheckResult> results;   // applicable checks, in spec order
  size_t pass = 0, fail = 0, unknown = 0, not_applicable = 0;
};

// Whether a check of `scope` applies to an input of `flavor`.
bool scope_applies(std::string_view scope, std::string_view flavor);

CheckRun run_checks(std::span<const rt::CheckInfo> checks, readers::Slots slots, const readers::StateInput& in,
                    const std::vector<std::string>& only = {});

}  // namespace vcpuspec::engine

// Reports of `vcpuspec check`: text for people, JSON (vcpuspec.check/1) for tools.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/run_checks.hpp"
#include "readers/input.hpp"
#include "z3/expect.hpp"

namespace vcpuspec::report {

inline constexpr const char* kCheckSchema = "vcpuspec.check/1";

struct CheckedInput {
  const readers::StateInput* input = nullptr;
  engine::CheckRun run;
  std::optional<smt::ExpectReport> expect;
  std::string expect_cite;     // the spec state's citation
  bool expect_used_solver = false;
};

struct CheckReportOptions {
  bool verbose = false;  // also list passing checks and matching fields
};

// "CR4.PAE = 0, expected == 1 (required because ...)"
std::string fact_line(const rt::Fact& f);
// "entry fails (1 fail, 0 unknown, 120 pass); architecture passes (...)": both questions' answers.
std::string verdict_text(const engine::CheckRun& r, std::string_view flavor);

std::string check_text(const std::vector<CheckedInput>& inputs, readers::Slots slots, const CheckReportOptions& o);
std::string check_json(const std::vector<CheckedInput>& inputs, readers::Slots slots, int exit_code);
// One input's object of `check_json` (also one line of `--batch --json`).
nlohmann::ordered_json input_json(const CheckedInput& ci, readers::Slots slots);

}  // namespace vcpuspec::report

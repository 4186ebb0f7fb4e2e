// SARIF 2.1.0 (OASIS) for `check` and `lint`, so code-scanning UIs and CI
// annotators show vcpuspec findings: one rule per check (its text, citation
// and scope), one result per failed or undecided check.
#pragma once
#include <string>
#include <vector>

#include "report/check_report.hpp"
#include "support/source.hpp"
#include "z3/lint.hpp"

namespace vcpuspec::report {

inline constexpr const char* kSarifVersion = "2.1.0";
inline constexpr const char* kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";

std::string check_sarif(const std::vector<CheckedInput>& inputs, readers::Slots slots);
std::string lint_sarif(const smt::LintReport& rep, const SourceManager& sm);

}  // namespace vcpuspec::report

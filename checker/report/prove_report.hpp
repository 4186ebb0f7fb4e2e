// Reports of `vcpuspec prove` and `vcpuspec lint`: text and JSON
// (vcpuspec.prove/1, vcpuspec.lint/1).
#pragma once
#include <string>
#include <vector>

#include "support/source.hpp"
#include "z3/lint.hpp"
#include "z3/results.hpp"

namespace vcpuspec::report {

inline constexpr const char* kProveSchema = "vcpuspec.prove/1";
inline constexpr const char* kLintSchema = "vcpuspec.lint/1";

std::string prove_text(const std::vector<smt::Obligation>& obs, const std::vector<smt::FlowObligation>& flows,
                       const std::string& spec_name, bool verbose);
std::string prove_json(const std::vector<smt::Obligation>& obs, const std::vector<smt::FlowObligation>& flows,
                       const std::string& spec_name, int exit_code);

std::string lint_text(const smt::LintReport& rep, const SourceManager& sm, bool verbose);
std::string lint_json(const smt::LintReport& rep, const SourceManager& sm, int exit_code);

}  // namespace vcpuspec::report

// `vcpuspec check --batch`: one line per input (per vCPU of a dump that holds
// several), as text or as JSON Lines (one vcpuspec.check/1 input object per
// line, with its own exit code), and a closing total for text.
#pragma once
#include <string>

#include "readers/input.hpp"
#include "report/check_report.hpp"

namespace vcpuspec::report {

struct BatchTotals {
  size_t inputs = 0, ok = 0, fail = 0, unknown = 0, errors = 0;
  size_t entry_fails = 0, architecture_fails = 0;  // inputs whose answer to the question is "fails"
};

// Exit code of one input alone: 1 fail or mismatch, 4 undecided, 0 clean.
// `entry_only`: only the entry checks (and --expect) count; an input with no
// VM entry (flavor arch) is undecided.
int input_exit_code(const CheckedInput& ci, bool entry_only = false);

std::string batch_line_text(const CheckedInput& ci, BatchTotals& totals, bool entry_only = false);
std::string batch_error_text(const readers::ReadError& e, BatchTotals& totals);
std::string batch_line_json(const CheckedInput& ci, readers::Slots slots, BatchTotals& totals, bool entry_only = false);
std::string batch_error_json(const readers::ReadError& e, BatchTotals& totals);
std::string batch_totals_text(const BatchTotals& t);

}  // namespace vcpuspec::report

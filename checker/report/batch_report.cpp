#include "report/batch_report.hpp"

#include <nlohmann/json.hpp>

namespace vcpuspec::report {

namespace {

const char* verdict_word(int code) {
  switch (code) {
    case 0: return "OK     ";
    case 1: return "FAIL   ";
    case 4: return "UNKNOWN";
    default: return "ERROR  ";
  }
}

void count(int code, BatchTotals& t) {
  ++t.inputs;
  if (code == 0) ++t.ok;
  else if (code == 1) ++t.fail;
  else if (code == 4) ++t.unknown;
  else ++t.errors;
}

}  // namespace

int input_exit_code(const CheckedInput& ci) {
  bool fail = ci.run.fail > 0, unknown = ci.run.unknown > 0;
  if (ci.expect) {
    fail |= ci.expect->outcome == smt::Outcome::Failed;
    unknown |= ci.expect->outcome == smt::Outcome::Unknown;
  }
  return fail ? 1 : unknown ? 4 : 0;
}

std::string batch_line_text(const CheckedInput& ci, BatchTotals& totals) {
  const readers::StateInput& in = *ci.input;
  int code = input_exit_code(ci);
  count(code, totals);
  const engine::CheckRun& r = ci.run;
  std::string s = std::string(verdict_word(code)) + " " + in.name() + ": " + in.format + ", flavor " + in.flavor + "; " +
                  std::to_string(r.fail) + " fail, " + std::to_string(r.unknown) + " unknown, " +
                  std::to_string(r.pass) + " pass, " + std::to_string(r.not_applicable) + " n/a";
  if (ci.expect) {
    const smt::ExpectReport& e = *ci.expect;
    size_t mismatch = 0;
    for (const smt::FieldComparison& f : e.fields) mismatch += f.match == smt::FieldMatch::Mismatch;
    s += "; expect " + e.state + ": " +
         (e.outcome == smt::Outcome::Proved   ? std::string("equal")
          : e.outcome == smt::Outcome::Failed ? "NOT equal (" + std::to_string(mismatch) + " mismatch)"
                                              : std::string("unknown"));
  }
  std::string failed;
  for (const engine::CheckResult& c : r.results)
    if (c.verdict == rt::Verdict::Fail) failed += (failed.empty() ? "" : " ") + std::string(c.info->id);
  if (!failed.empty()) s += "; failed: " + failed;
  return s + "\n";
}

std::string batch_error_text(const readers::ReadError& e, BatchTotals& totals) {
  count(3, totals);
  return std::string(verdict_word(3)) + " " + e.format() + "\n";
}

std::string batch_line_json(const CheckedInput& ci, readers::Slots slots, BatchTotals& totals) {
  int code = input_exit_code(ci);
  count(code, totals);
  nlohmann::ordered_json j;
  j["schema"] = kCheckSchema;
  nlohmann::ordered_json body = input_json(ci, slots);
  for (auto& [k, v] : body.items()) j[k] = v;
  j["exit_code"] = code;
  return j.dump() + "\n";
}

std::string batch_error_json(const readers::ReadError& e, BatchTotals& totals) {
  count(3, totals);
  nlohmann::ordered_json j;
  j["schema"] = kCheckSchema;
  j["file"] = e.file;
  nlohmann::ordered_json err;
  if (e.line) err["line"] = e.line, err["col"] = e.col;
  err["message"] = e.message;
  j["error"] = err;
  j["exit_code"] = 3;
  return j.dump() + "\n";
}

std::string batch_totals_text(const BatchTotals& t) {
  return "batch: " + std::to_string(t.inputs) + " inputs: " + std::to_string(t.fail) + " fail, " +
         std::to_string(t.unknown) + " unknown, " + std::to_string(t.ok) + " ok, " + std::to_string(t.errors) +
         " unreadable\n";
}

}  // namespace vcpuspec::report

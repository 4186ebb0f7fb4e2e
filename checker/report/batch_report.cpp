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

void count(int code, BatchTotals& t, const engine::CheckRun* run = nullptr) {
  ++t.inputs;
  if (run) {
    t.entry_fails += run->entry_answer() == engine::Answer::Fails;
    t.architecture_fails += run->architecture_answer() == engine::Answer::Fails;
  }
  if (code == 0) ++t.ok;
  else if (code == 1) ++t.fail;
  else if (code == 4) ++t.unknown;
  else ++t.errors;
}

}  // namespace

int input_exit_code(const CheckedInput& ci, bool entry_only) {
  bool fail = ci.run.fail > 0, unknown = ci.run.unknown > 0;
  if (entry_only) {
    fail = ci.run.entry.fail > 0;
    unknown = ci.run.entry.unknown > 0 || !ci.run.entry_asked;
  }
  if (ci.expect) {
    fail |= ci.expect->outcome == smt::Outcome::Failed;
    unknown |= ci.expect->outcome == smt::Outcome::Unknown;
  }
  return fail ? 1 : unknown ? 4 : 0;
}

std::string batch_line_text(const CheckedInput& ci, BatchTotals& totals, bool entry_only) {
  const readers::StateInput& in = *ci.input;
  int code = input_exit_code(ci, entry_only);
  count(code, totals, &ci.run);
  const engine::CheckRun& r = ci.run;
  std::string s = std::string(verdict_word(code)) + " " + in.name() + ": " + in.format + ", flavor " + in.flavor + "; " +
                  std::to_string(r.fail) + " fail, " + std::to_string(r.unknown) + " unknown, " +
                  std::to_string(r.pass) + " pass, " + std::to_string(r.not_applicable) + " n/a; entry " +
                  (r.entry_asked ? engine::answer_name(r.entry_answer()) : "not asked") + ", architecture " +
                  engine::answer_name(r.architecture_answer());
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

std::string batch_line_json(const CheckedInput& ci, readers::Slots slots, BatchTotals& totals, bool entry_only) {
  int code = input_exit_code(ci, entry_only);
  count(code, totals, &ci.run);
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
         " unreadable; the entry fails in " + std::to_string(t.entry_fails) + ", the architecture in " +
         std::to_string(t.architecture_fails) + "\n";
}

}  // namespace vcpuspec::report

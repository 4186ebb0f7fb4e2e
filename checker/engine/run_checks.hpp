// Runs the generated checks on one input: a verdict per applicable check,
// the facts behind each failure, the missing fields behind each unknown.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "readers/input.hpp"
#include "runtime/check.hpp"
#include "z3/results.hpp"

namespace vcpuspec::engine {

// Whose problem a failure is, as far as the spec can tell.
enum class Blame : uint8_t {
  None,
  AnyCpu,           // no CPU accepts the state: a guest (or VMM-written) state bug
  NeedsUnrestrictedGuest,  // valid with unrestricted guest, which the controls leave off
  VmmEmulates,             // segment state the VMM emulates rather than entering with
  Configuration,    // depends on controls, CPU features or parameters: VMM setup, or wrong --set
};
const char* blame_name(Blame b);

// The two questions a state's checks answer (CheckInfo::question): would the
// VM entry or VMRUN fail (entry), and could a CPU be in this state by itself
// (architecture). A state may pass the first and fail the second: VM entry
// takes many states no CPU reaches.
bool answers_entry(const rt::CheckInfo& c);
struct CheckResult;
struct CheckRun;
// "entry (VM entry would fail: ...)" or "architecture (...)": the question a
// failure of `c` in `run` answers.
std::string question_text(const rt::CheckInfo& c, const CheckRun& run);

// Whose problem a failure is, one sentence for people.
std::string blame_text(const CheckResult& r);

struct CheckResult {
  const rt::CheckInfo* info = nullptr;
  Blame blame = Blame::None;   // for Fail
  std::string config_read;     // for Blame::Configuration: the controls/features/params the check reads
  rt::Verdict verdict = rt::Verdict::Unknown;
  std::vector<rt::Fact> facts;        // for Fail
  // For Unknown (and `exact`): where CheckRun::missing() finds the fields it lacks.
  uint32_t missing_at = 0, num_missing = 0;
  // Decided by Z3 for every value of the missing fields, where the generated
  // three-valued evaluation could not tell (decide_exactly).
  bool exact = false;
  const char* exact_by = "";  // "Z3", or "every completion listed" where they were few
  // For an Unknown that Z3 looked at: a completion that fails and one that
  // holds (the missing fields' values), or why it gave up. For an `exact`
  // Fail whose facts needed values: the completion they were shown on.
  std::vector<smt::FieldValue> fails_with, holds_with;
  std::string gave_up;
};

// The applicable checks of one question, by verdict.
struct Tally {
  size_t pass = 0, fail = 0, unknown = 0;
};

// The answer to one question: a check fails; none fails but some are
// undecided; all pass; or the input has no such question (no VM entry in a
// QEMU dump or a KVM_GET_SREGS state).
enum class Answer : uint8_t { Fails, Undecided, Passes, NotAsked };
const char* answer_name(Answer a);  // fails | undecided | passes | not-asked

struct CheckRun {
  std::vector<CheckResult> results;   // applicable checks, in spec order
  size_t pass = 0, fail = 0, unknown = 0, not_applicable = 0;
  Tally entry, architecture;          // the same, split by question
  bool entry_asked = false;           // the input is a VM entry (flavor vmx or svm)
  Answer entry_answer() const;
  Answer architecture_answer() const;
  // Every Unknown result's missing fields (the slot table's static names),
  // back to back: one buffer per run, not a vector per unknown check (those
  // were most of a dump batch's allocations).
  std::vector<const char*> missing_fields;

  // For an Unknown or `exact` result: the fields the check reads that the input lacks.
  std::span<const char* const> missing(const CheckResult& r) const {
    return {missing_fields.data() + r.missing_at, r.num_missing};
  }
};

// A failed result's facts (from the input's values) and whose problem it is.
void explain_failure(readers::Slots slots, const readers::StateInput& in, CheckResult& r);

// Whether a check of `scope` (a table's "arch", "vmx" or "svm") applies to an input of `flavor`.
bool scope_applies(const char* scope, std::string_view flavor);

// The verdict of each of `checks` whose scope applies to `flavor` (the
// others: NotApplicable), a group at a time (rt::CheckGroup) where `groups`
// cover it, else by its own eval.
std::vector<rt::Verdict> applicable_verdicts(std::span<const rt::CheckInfo> checks, std::span<const rt::CheckGroup> groups,
                                             const rt::State& s, std::string_view flavor);

// Every check of `checks` that applies to the input's flavor (and is in
// `only`, unless empty). `groups`, when given, are the generated checker's
// groups over `checks`: the same verdicts, faster.
CheckRun run_checks(std::span<const rt::CheckInfo> checks, std::span<const rt::CheckGroup> groups, readers::Slots slots,
                    const readers::StateInput& in, const std::vector<std::string>& only = {});
CheckRun run_checks(std::span<const rt::CheckInfo> checks, readers::Slots slots, const readers::StateInput& in,
                    const std::vector<std::string>& only = {});

}  // namespace vcpuspec::engine

// Whether a verdict on a partial state holds for every completion of it:
// the exact question the checker's three-valued evaluation approximates.
// `check` asks it when the generated C++ says "unknown" (a shift by an
// unknown MAXPHYADDR, a comparison of partly known values); the
// differential tests use it to prove that approximation sound.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/expect.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

enum class ForcedVerdict { NotApplicable, Pass, Fail };

// What every completion of a partial state says about one check.
struct CompletionVerdict {
  enum class Kind {
    NotApplicable,  // no completion meets the check's `when`
    Pass,           // no completion fails, some meet `when`
    Fail,           // every completion fails
    Undecided,      // some fail and some do not: `fails_with`, `holds_with` show one of each
    GaveUp,         // the solver hit its limit: `reason`
  };
  Kind kind = Kind::GaveUp;
  std::string reason;
  // Values of the missing fields the check reads: for Undecided a
  // completion that fails and one that holds; for Fail one (they all fail).
  std::vector<FieldValue> fails_with, holds_with;
};

struct CompletionOptions {
  // Configuration the input lacks ranges over its declared values
  // (cpu.maxphyaddr in 32..52); false: any value that fits its width (the
  // question the C++ three-valued domain answers, which knows no ranges).
  bool config_ranges = true;
  Limits limits;
};

// Answers for one model: the solver, the lowered checks and the answers for
// inputs already seen (a batch of dumps from one VMM repeats its values) are
// kept across calls.
class CompletionDecider {
 public:
  CompletionDecider(const ir::Model& model, CompletionOptions opts);
  ~CompletionDecider();
  CompletionDecider(const CompletionDecider&) = delete;
  CompletionDecider& operator=(const CompletionDecider&) = delete;

  // `check`: an index into model.checks. Only the slots it reads matter.
  CompletionVerdict decide(size_t check, const KnownValues& known);
  const ir::Model& model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when every assignment (to check `check` of `model`) to the slots `known` lacks (configuration in
// its declared ranges or not: any value that fits) gives `verdict`; Pass
// allows completions where the check does not apply.
bool verdict_forced(const ir::Model& model, size_t check, const KnownValues& known, ForcedVerdict verdict);

}  // namespace vcpuspec::smt

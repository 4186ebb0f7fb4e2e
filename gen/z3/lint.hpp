// Sanity of the spec itself: every check can pass and can fail where it
// applies, no check is implied by the others unless it says so (`overlaps`),
// and the states satisfy the architectural checks.
#pragma once
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "support/source.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

struct LintFinding {
  enum class Severity { Error, Warning, Info };
  Severity severity = Severity::Warning;
  std::string check;  // the check it is about ("" for state obligations)
  std::string rule;   // "never-passes", "never-fails", "never-applies", "implied", "overlap-unused", "state", "unknown"
  std::string message;
  Loc loc;
};

struct CheckLint {
  std::string id;
  Outcome can_pass = Outcome::Unknown;   // Proved: a state exists where it applies and passes
  Outcome can_fail = Outcome::Unknown;   // Proved: a state exists where it applies and fails
  std::vector<std::string> implied_by;   // minimal set of checks that imply it, if any
  bool implied_declared = false;         // every check in implied_by is declared in `overlaps`
};

struct LintReport {
  std::vector<CheckLint> checks;
  // Transitions: can_pass / can_fail between two states that satisfy every
  // arch check (a write rule that no legal pair breaks says nothing).
  std::vector<CheckLint> transitions;
  std::vector<Obligation> states;
  std::vector<LintFinding> findings;
  bool has_errors() const;
  bool has_unknown() const;
};

struct LintOptions {
  Limits limits;
};

LintReport lint(const ir::Model& model, const LintOptions& opts);

}  // namespace vcpuspec::smt

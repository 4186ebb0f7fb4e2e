// The second pass over what the generated checker left "unknown". Its
// three-valued domain tracks known bits, not ranges, so it loses precision at
// a shift by a missing amount or a comparison of partly known values: CR3
// with bit 63 set breaks `CR3 >> cpu.maxphyaddr == 0` for every MAXPHYADDR
// in 32..52, yet the domain says unknown. Z3 answers exactly over every
// value the missing fields can take (configuration within its declared range);
// before asking, a few sampled completions that disagree settle "undecided",
// and where the values are few (MAXPHYADDR and a few feature bits) they are
// all listed and the generated code judges each.
#pragma once
#include <functional>
#include <span>

#include "engine/run_checks.hpp"
#include "z3/completion.hpp"

namespace vcpuspec::engine {

struct ExactCounts {
  size_t asked = 0;     // unknown results looked at again
  size_t listed = 0;    // of those, settled without Z3: a failing and a holding completion
                        // sampled, or every completion listed (few: ranged params, flags)
  size_t decided = 0;   // of those, now fail, pass or not applicable
  size_t gave_up = 0;   // the solver hit its limit
};

// Where Z3 comes from, built on first need (loading the spec model costs more
// than most inputs' whole check, and sampling settles most checks without
// it): the decider, or null when it cannot be had.
using SolverSource = std::function<smt::CompletionDecider*()>;

// Re-decides every Unknown result of `run`. The decider's model must be the
// one `checks` were generated from (same checks, same order); a check it does
// not have stays unknown. Counts and tallies of `run` follow; a result
// decided here has `exact` set.
ExactCounts decide_exactly(CheckRun& run, std::span<const rt::CheckInfo> checks, readers::Slots slots,
                           const readers::StateInput& in, const SolverSource& solver);

}  // namespace vcpuspec::engine

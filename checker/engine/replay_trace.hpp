// Replays a trace of state writes (readers/trace) and runs the spec's write
// rules (generated kTransitions) on every guest write to a register a rule is
// `on`, and the state checks wherever the guest runs: after a guest write,
// and after a run of VMM writes (the state the guest resumes with). The
// first bad step ends the replay: after it the CPU would have faulted or the
// VM entry failed, so later states say nothing.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/run_checks.hpp"
#include "readers/trace.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::engine {

struct TraceFinding {
  size_t step = 0;                         // index into the vCPU's steps
  const rt::TransitionInfo* rule = nullptr;  // a write rule broke; null: state checks failed (in `checks`)
  std::vector<rt::Fact> facts;             // for a rule
  std::vector<std::pair<size_t, uint64_t>> after;   // what the step left in each slot it changed
  std::vector<std::pair<size_t, std::optional<uint64_t>>> before;  // the same slots before it (nullopt: unknown)
  CheckRun checks;                         // the state checks at that point
};

struct TraceRun {
  const readers::TraceVcpu* vcpu = nullptr;
  size_t steps_replayed = 0;
  size_t guest_writes = 0, vmm_writes = 0, snapshots = 0;
  size_t rule_pass = 0, rule_unknown = 0, rule_na = 0;  // write-rule evaluations before the finding
  size_t state_points = 0;  // where the state checks ran
  std::vector<std::string> undecided;   // write rules left unknown: "ARCH.CR0.PAE_PDPTE at step 4 (PDPTE0 not in the trace)"
  std::optional<TraceFinding> finding;  // the first bad step
};

TraceRun replay_trace(std::span<const rt::TransitionInfo> rules, std::span<const rt::CheckInfo> checks,
                      readers::Slots slots, const readers::TraceVcpu& vcpu, const std::string& flavor);

}  // namespace vcpuspec::engine

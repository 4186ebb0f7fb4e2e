// Fuzz target: the trace reader (JSON Lines and ftrace text) and the replay
// behind it. The result must be a positioned error or a replay whose finding
// (if any) names a step of its vCPU and carries facts; never a crash or hang.
#include <cstdlib>
#include <string>

#include "checker.gen.hpp"
#include "engine/replay_trace.hpp"
#include "readers/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vcpuspec;
  std::string text(reinterpret_cast<const char*>(data), size);
  readers::Slots slots(generated::kSlots, generated::kNumSlots);
  auto r = readers::read_trace(text, "fuzz.trace", slots);
  if (auto* err = std::get_if<readers::ReadError>(&r)) {
    if (err->message.empty() || err->format().rfind("fuzz.trace:", 0) != 0) std::abort();
    return 0;
  }
  const readers::Trace& t = std::get<readers::Trace>(r);
  if (t.vcpus.empty()) std::abort();
  for (const readers::TraceVcpu& v : t.vcpus) {
    if (v.steps.empty()) std::abort();
    for (const readers::TraceStep& s : v.steps)
      for (const auto& w : s.writes)
        if (w.first >= slots.size()) std::abort();
    engine::TraceRun run = engine::replay_trace({generated::kTransitions, generated::kNumTransitions},
                                                {generated::kChecks, generated::kNumChecks}, slots, v, "arch");
    if (run.steps_replayed > v.steps.size()) std::abort();
    if (run.finding) {
      if (run.finding->step >= v.steps.size()) std::abort();
      if (run.finding->rule && run.finding->facts.empty()) std::abort();
      if (!run.finding->rule && run.finding->checks.fail == 0) std::abort();
    }
  }
  return 0;
}

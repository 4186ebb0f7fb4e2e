// Fuzz target: the state JSON reader and the generated checker behind it.
// Arbitrary bytes must give either a positioned error or a complete run in
// which every check has a verdict; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "checker.gen.hpp"
#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vcpuspec;
  std::string text(reinterpret_cast<const char*>(data), size);
  readers::Slots slots(generated::kSlots, generated::kNumSlots);
  auto r = readers::read_state_json(text, "fuzz.json", slots);
  if (auto* err = std::get_if<readers::ReadError>(&r)) {
    if (err->message.empty()) std::abort();
    return 0;
  }
  readers::StateInput in = std::get<readers::StateInput>(std::move(r));
  readers::apply_defaults(slots, in);
  engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks}, {generated::kCheckGroups, generated::kNumCheckGroups}, slots, in);
  if (run.pass + run.fail + run.unknown + run.not_applicable != run.results.size()) std::abort();
  for (const auto& r : run.results)  // a failure always says which field and why
    if (r.verdict == rt::Verdict::Fail && r.facts.empty()) std::abort();
  return 0;
}

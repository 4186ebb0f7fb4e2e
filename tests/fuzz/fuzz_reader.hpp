// The body every dump-reader fuzz target shares: arbitrary bytes through one
// reader (or --format auto) and the generated checker behind it. The result
// must be a positioned error or well-formed states: every present value has
// an origin, every missing one none, every check a verdict, every failure a
// fact. Never a crash, a hang or an unbounded allocation.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>

#include "checker.gen.hpp"
#include "engine/run_checks.hpp"
#include "readers/detect.hpp"

namespace vcpuspec::fuzz {

// `flavor` "any": the first byte picks none, arch, vmx or svm (what QEMU's reader infers depends on it).
inline int read_dump(const uint8_t* data, size_t size, const char* format, const char* flavor = "") {
  std::string text(reinterpret_cast<const char*>(data), size);
  readers::Slots slots(generated::kSlots, generated::kNumSlots);
  readers::ReadOptions o;
  static const char* flavors[] = {"", "arch", "vmx", "svm"};
  o.flavor = std::string(flavor) == "any" ? (size ? flavors[data[0] % 4] : "") : flavor;
  // With it the second byte picks what --set gives KVM's VMCS view: unrestricted guest and EPT 0, 1 or unknown.
  if (std::string(flavor) == "any" && size > 1) {
    const unsigned ug = data[1] % 3, ept = (data[1] / 3) % 3;
    if (ug < 2) o.config.emplace_back("vmx.unrestricted_guest", ug);
    if (ept < 2) o.config.emplace_back("vmx.ept", ept);
  }
  auto r = readers::read_any(text, "fuzz.txt", format, slots, o);
  if (auto* err = std::get_if<readers::ReadError>(&r)) {
    if (err->message.empty() || err->format().rfind("fuzz.txt", 0) != 0) std::abort();
    return 0;
  }
  const readers::Inputs& inputs = std::get<readers::Inputs>(r);
  if (inputs.empty()) std::abort();  // no state and no error
  for (const readers::StateInput& in : inputs) {
    if (in.origin.size() != slots.size() || in.state.size() != slots.size()) std::abort();
    for (size_t i = 0; i < slots.size(); ++i)
      if (in.state.has(i) != (in.origin[i] != readers::Origin::Missing)) std::abort();
    if (in.flavor != "arch" && in.flavor != "vmx" && in.flavor != "svm") std::abort();
    engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks}, {generated::kCheckGroups, generated::kNumCheckGroups}, slots, in);
    if (run.pass + run.fail + run.unknown + run.not_applicable != run.results.size()) std::abort();
    for (const auto& c : run.results)
      if (c.verdict == rt::Verdict::Fail && c.facts.empty()) std::abort();
  }
  return 0;
}

}  // namespace vcpuspec::fuzz

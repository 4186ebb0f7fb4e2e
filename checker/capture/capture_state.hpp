// KVM's view of a vCPU in the spec's terms: which slot each ioctl field
// fills, the CPU model the vCPU was given (its CPUID), and the state JSON
// (`vcpuspec.state/1`) that `vcpuspec check` reads. Only fields KVM really
// returned are written; nothing is filled in.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capture/vcpu_state.hpp"
#include "readers/input.hpp"

namespace vcpuspec::capture {

// The MSRs the spec has slots for (spec/arch/msrs.vspec) and their indices.
// EFER and IA32_APIC_BASE come from KVM_GET_SREGS instead.
struct SpecMsr {
  const char* name;
  uint32_t index;
};
std::span<const SpecMsr> spec_msrs();
// The indices to read: every spec MSR.
std::vector<uint32_t> msr_indices();
inline constexpr uint32_t kTscMsr = 0x10;

struct Field {
  std::string name;  // a slot name: "CR0", "CS.ar", "SYSENTER_ESP"
  uint64_t value = 0;
};
// Every slot value the state holds, in a fixed order.
std::vector<Field> state_fields(const KvmVcpuState& s);
// Sets one slot in `s` (the acceptance oracle builds states this way).
// False when the name is not a slot KVM's ioctls carry, or the value cannot
// be expressed (segment access-rights bits kvm_segment has no field for).
bool set_field(KvmVcpuState& s, std::string_view name, uint64_t value);

// The CPU the vCPU was given (KVM_SET_CPUID2 with KVM's supported CPUID).
struct CpuModel {
  std::string vendor;                 // intel | amd | ""
  std::optional<unsigned> maxphyaddr; // CPUID.80000008H:EAX[7:0]
  std::optional<uint64_t> xcr0_supported;  // CPUID.(0DH,0):EDX:EAX
  uint32_t signature = 0;             // CPUID.01H:EAX
  std::vector<std::pair<std::string, bool>> features;  // spec feature names without "cpu."
};
CpuModel cpu_model(const CpuidTable& cpuid);

// Which VM-entry checks apply: the vendor module that backs the vCPU.
std::string flavor_for_backend(const std::string& backend);

struct CaptureDescription {
  std::string flavor;
  std::string source;
  std::optional<bool> bsp;        // vcpu.bsp, when the capture knows it
  // cpu.signature: the CPUID.01H:EAX KVM computed RDX from (its 0x600
  // fallback when the vCPU had no CPUID yet); unset: not written.
  std::optional<uint32_t> signature;
  bool with_tsc = false;          // TSC counts from RESET on, so it is written only when asked
  std::vector<std::string> omit;  // fields left out: guest code moved them after the event captured
};

// A value as the state JSON writes it: 0x-prefixed lowercase hex.
std::string hex(uint64_t v);

// The state JSON: schema, flavor, source, cpu, config, state; only fields
// that are slots of `slots`.
std::string state_json(const KvmVcpuState& s, const CpuModel& cpu, const CaptureDescription& d, readers::Slots slots);

// One line on what the ioctls showed that the state JSON has no slot for:
// the MP state and pending events.
std::string events_summary(const KvmVcpuState& s);

}  // namespace vcpuspec::capture

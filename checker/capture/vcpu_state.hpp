// A vCPU's state as KVM's ioctls give and take it: KVM_GET/SET_REGS,
// SREGS (SREGS2 to read where KVM has it), MSRS, XCRS, DEBUGREGS, XSAVE, plus
// the read-only VCPU_EVENTS and MP_STATE.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/kvm_vm.hpp"

namespace vcpuspec::capture {

struct MsrValue {
  uint32_t index = 0;
  uint64_t value = 0;
};

struct KvmVcpuState {
  kvm_regs regs{};
  kvm_sregs sregs{};           // from KVM_GET_SREGS2 where available (same fields)
  bool from_sregs2 = false;
  std::vector<MsrValue> msrs;  // only those KVM_GET_MSRS returned
  std::optional<uint64_t> xcr0;
  std::optional<kvm_debugregs> debugregs;
  // KVM_GET_XSAVE: its legacy area holds FCW, FSW, the abridged FTW and
  // MXCSR (KVM_GET_FPU has no MXCSR: kvm_arch_vcpu_ioctl_get_fpu never copies it).
  std::optional<std::array<__u32, 1024>> xsave;  // kvm_xsave.region
  std::optional<kvm_vcpu_events> events;
  std::optional<uint32_t> mp_state;

  const MsrValue* msr(uint32_t index) const;
};

// Reads everything; `msr_indices` are asked one by one, and an MSR that KVM
// will not return (e.g. SMBASE where KVM has no SMM) is left out. Reading
// MP_STATE makes KVM accept a pending INIT first, so it goes first.
bool read_vcpu(Vcpu& vcpu, const std::vector<uint32_t>& msr_indices, KvmVcpuState& out, CaptureError& err);

// The ioctls that write state, in the order write_vcpu issues them.
enum class SetIoctl { Sregs, Regs, Debugregs, Xcrs, Xsave, Msrs };
const char* set_ioctl_name(SetIoctl s);

struct WriteResult {
  bool accepted = true;
  SetIoctl rejected_by = SetIoctl::Sregs;  // when !accepted
  std::string detail;                       // errno text, or the MSR KVM refused
};

// Writes `s` to the vCPU: SREGS, REGS, DEBUGREGS, XCRS (if xcr0), XSAVE (if read), then each
// MSR of s.msrs with KVM_SET_MSRS (so an MSR such as FS_BASE overrides the
// segment base SREGS wrote). Stops at the first ioctl KVM rejects.
WriteResult write_vcpu(Vcpu& vcpu, const KvmVcpuState& s);

}  // namespace vcpuspec::capture

// `vcpuspec capture`'s three ways to get a vCPU state out of KVM: a fresh
// vCPU (RESET), the state a guest program leaves, and the state after an
// INIT delivered to it through the local APIC.
#pragma once
#include <optional>
#include <string>

#include "capture/capture_state.hpp"
#include "capture/guest_programs.hpp"
#include "capture/kvm_vm.hpp"
#include "capture/vcpu_state.hpp"
#include "readers/input.hpp"

namespace vcpuspec::capture {

struct Captured {
  KvmVcpuState state;
  CpuModel cpu;
  CaptureDescription description;
  std::string json;  // the state JSON
};

struct CaptureOptions {
  std::string device = kKvmDevice;
  bool with_tsc = false;  // write the TSC too: it counts from RESET on (docs/oracles.md)
  // After the INIT, enter the guest once (a CR3 probe at the reset vector)
  // and capture the state after that exit: what the guest runs with, where
  // KVM writes part of it to hardware only at the entry (docs/flows.md).
  bool enter_after_init = false;
};

// A fresh vCPU `vcpu_id` (0 is the BSP; vCPU 0 is created first either way,
// as on a real machine).
std::optional<Captured> capture_reset(unsigned vcpu_id, const CaptureOptions& o, readers::Slots slots,
                                      CaptureError& err);

// The BSP after `program` ran (`after`), and after an INIT that followed it
// (`init`, only when `with_init`).
struct ProgramCapture {
  Captured after;
  std::optional<Captured> init;
  std::optional<uint32_t> guest_cr3;  // with enter_after_init: the CR3 the guest read
};
std::optional<ProgramCapture> capture_program(const GuestProgram& program, bool with_init, const CaptureOptions& o,
                                              readers::Slots slots, CaptureError& err);

}  // namespace vcpuspec::capture

// Built-in guest programs: tiny machine-code blobs that move a vCPU from
// RESET into another mode, so that INIT has something to undo. Each is
// assembled by hand from the assembly in guest_programs.cpp's comments; no
// assembler runs at build or run time.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "capture/kvm_vm.hpp"

namespace vcpuspec::capture {

// A program says it is done with OUT to kDonePort; a fault taken in real
// mode vectors through the program's IVT to a stub that writes the vector
// number to kFaultPort (faults after the mode switch shut the vCPU down).
inline constexpr uint16_t kDonePort = 0xF4;
inline constexpr uint16_t kFaultPort = 0xF5;

struct GuestProgram {
  const char* name;
  const char* summary;      // what the vCPU looks like when the program is done
  std::span<const uint8_t> tail;  // the code after the common prologue
};

std::span<const GuestProgram> guest_programs();
const GuestProgram* find_program(std::string_view name);
// "real-mode, protected, protected-paging, long-mode-cd"
std::string program_names();

// Writes the reset-vector stub, the GDT, IVT and fault stubs, the page
// tables and the program into guest memory. The vCPU starts it from RESET.
void load_program(Vm& vm, const GuestProgram& program);

// Runs vCPU `vcpu` from RESET until the program is done; false with `err`
// saying why not (a fault, a shutdown, a timeout).
bool run_program(Vcpu& vcpu, const GuestProgram& program, CaptureError& err);

// After an INIT: replaces the reset vector's jump with `mov %cr3,%eax; out
// %eax,$kDonePort; hlt`, so that the next KVM_RUN enters the guest once and
// the guest reports the CR3 it runs with. Returns that CR3, or nullopt with
// `err` set.
std::optional<uint32_t> run_reset_vector_cr3_probe(Vm& vm, Vcpu& vcpu, CaptureError& err);

}  // namespace vcpuspec::capture

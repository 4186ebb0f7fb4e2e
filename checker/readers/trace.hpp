// Reader for traces of state writes (`vcpuspec check --trace`): JSON Lines
// as ../shared/DESIGN.md gives them, and the ftrace / trace-cmd text of the
// kvm:kvm_cr and kvm:kvm_msr events. Either becomes a list of steps per
// vCPU, each the slots it writes; the replay (engine/replay_trace) runs the
// spec's write rules over them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "readers/input.hpp"

namespace vcpuspec::readers {

// Who wrote: the guest (an instruction: the CPU's side effects apply, and so
// do the write rules) or the VMM (KVM_SET_SREGS, a VMCS write: literal, not
// bound by the write rules; the state is checked when the guest next runs).
enum class Writer : uint8_t { Guest, Vmm };

struct TraceStep {
  uint32_t line = 0;     // 1-based line in the trace file
  std::string step;      // the trace's own step label ("3"), else the line number
  std::string op;        // "set_cr0", "cr_write 0", "msr_write c0000080"
  Writer by = Writer::Guest;
  bool sets_state = false;  // a `state` line: a snapshot, not a write
  std::vector<std::pair<size_t, uint64_t>> writes;  // slot, value
};

// One vCPU's steps in order (ftrace: one task, i.e. one vCPU thread).
struct TraceVcpu {
  std::string name;  // "" for a JSONL trace, else the ftrace task ("qemu-system-x86-2453")
  std::vector<TraceStep> steps;
};

struct Trace {
  std::string file;
  std::string format;  // "jsonl" | "ftrace"
  std::string flavor;  // a JSONL line's "flavor", else "" (the caller's --flavor or arch)
  std::vector<TraceVcpu> vcpus;
  std::vector<std::string> notes;  // lines read but not applied (reads, #GP writes, unmodelled MSRs)
};

std::variant<Trace, ReadError> read_trace(std::string_view text, const std::string& file, Slots slots);

}  // namespace vcpuspec::readers

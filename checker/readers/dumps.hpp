// The text dump readers, one per format (one file each), and what they share:
// every reader returns one StateInput per vCPU state in the text (a QEMU
// `info registers -a`, several dump_vmcs splats in one dmesg), or an error
// when the text holds no state of its format at all.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "readers/input.hpp"

namespace vcpuspec::readers {

struct ReadOptions {
  std::string flavor;  // --flavor: what the reader infers depends on it (QEMU read as vmx or svm)
  // For one piece of a large input (read_pieces): the input line the piece
  // starts on, and how many dumps the pieces before it held (unnamed dumps
  // are "dump N" counting on; a lone one in its piece is named too).
  uint32_t first_line = 1;
  size_t dumps_before = 0;
  bool piece = false;
  // The --set values (slot name, value), known before any input is read:
  // what KVM puts in the VMCS for a guest-visible dump depends on
  // vmx.unrestricted_guest and vmx.ept (readers/kvm_view.hpp).
  std::vector<std::pair<std::string, uint64_t>> config;
};

using Inputs = std::vector<StateInput>;
using ReadResult = std::variant<Inputs, ReadError>;

// QEMU `info registers` / cpu_dump_state() (target/i386/cpu-dump.c).
ReadResult read_qemu(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o);
// Where a QEMU log can be cut into pieces of whole dumps: the offset of the
// last line after the first that opens a dump (CPU#N, QEMU's "KVM: entry
// failed" / "KVM internal error" header, or a first register line no header
// leads into), or npos.
size_t qemu_last_dump_start(std::string_view text);
// Linux dump_vmcs() (arch/x86/kvm/vmx/vmx.c).
ReadResult read_kvm_vmcs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o);
// Linux dump_vmcb() (arch/x86/kvm/svm/svm.c).
ReadResult read_kvm_vmcb(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o);
// Xen vmcs_dump_vcpu() (xen/arch/x86/hvm/vmx/vmcs.c).
ReadResult read_xen_vmcs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o);
// struct kvm_regs / kvm_sregs printed field by field (docs/cli.md defines the form).
ReadResult read_kvm_sregs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o);

// Every reader's last step: the flavor (--flavor, else what the reader
// inferred, else arch) and the spec's defaults.
void finish_input(StateInput& in, Slots slots, const ReadOptions& o);

}  // namespace vcpuspec::readers

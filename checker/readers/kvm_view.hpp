// What KVM puts in the VMCS or the VMCB for a guest state read from a dump of
// the guest's own view (QEMU's cpu_dump_state, KVM_GET_SREGS): the entry
// checks read the VMCS/VMCB, where KVM forces bits the guest never set. The
// guest's values are kept in StateInput::guest_values for --expect.
//
// VMX, read at v6.12 (arch/x86/kvm/vmx/vmx.c): with unrestricted guest KVM
// only sets CR0.NE and CR4.VMXE and the segments' accessed bit; without it
// (`--set vmx.unrestricted_guest=0`) it also forces CR0.PE/PG, runs real mode
// as virtual-8086 and unpaged modes on its own page tables, and emulates
// instead of entering while the segments are not valid for entry. Which of
// the two a dump comes from no guest-visible dump shows: the fields that
// differ stay as the guest has them, and a note says so.
#pragma once
#include "readers/dumps.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

// The VMCS view for the unrestricted-guest setting in `opts.config` (else unknown).
void kvm_vmx_view(SlotWriter& w, StateInput& in, const ReadOptions& opts);
// svm_set_efer (EFER.SVME) and init_vmcb (VMRUN intercepted).
void kvm_svm_view(SlotWriter& w, StateInput& in);
// The view for the input's flavor, --flavor first ("vmx", "svm"; anything else: none).
void kvm_view(SlotWriter& w, StateInput& in, const ReadOptions& opts);

}  // namespace vcpuspec::readers

// What KVM puts in the VMCS or the VMCB for a guest state read from a dump of
// the guest's own view (QEMU's cpu_dump_state, KVM_GET_SREGS): the entry
// checks read the VMCS/VMCB, where KVM forces bits the guest never set. The
// guest's values are kept in StateInput::guest_values for --expect.
#pragma once
#include "readers/dumps.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

// vmx_set_cr0 (CR0.NE set, CD and NW clear), vmx_set_cr4 (CR4.VMXE), vmx_set_efer (the IA-32e
// mode guest control from EFER.LMA), vmx_segment_access_rights (a segment
// that is not present is unusable); and a note on what the dump cannot show.
void kvm_vmx_view(SlotWriter& w, StateInput& in);
// svm_set_efer (EFER.SVME) and init_vmcb (VMRUN intercepted).
void kvm_svm_view(SlotWriter& w, StateInput& in);
// The view for the input's flavor, --flavor first ("vmx", "svm"; anything else: none).
void kvm_view(SlotWriter& w, StateInput& in, const ReadOptions& opts);

}  // namespace vcpuspec::readers

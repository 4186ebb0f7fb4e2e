#include "readers/kvm_view.hpp"

namespace vcpuspec::readers {

namespace {

void keep_guest_value(SlotWriter& w, StateInput& in, SlotWriter::Id slot) {
  in.guest_values.push_back({static_cast<size_t>(slot), w.get(slot), in.origin[static_cast<size_t>(slot)]});
}

}  // namespace

void kvm_vmx_view(SlotWriter& w, StateInput& in) {
  const SlotWriter::Id cr0 = w.id("CR0"), cr4 = w.id("CR4"), efer = w.id("EFER"), ia32e = w.id("entry.ia32e_mode_guest");
  // hw_cr0 = (cr0 & ~KVM_VM_CR0_ALWAYS_OFF) | NE: CD and NW never reach the
  // VMCS (KVM emulates them through the EPT memory type).
  constexpr uint64_t kNE = 1ULL << 5, kNW = 1ULL << 29, kCD = 1ULL << 30;
  if (w.has(cr0) && ((w.get(cr0) & (kCD | kNW)) || !(w.get(cr0) & kNE))) {
    keep_guest_value(w, in, cr0);
    w.inferred(cr0, (w.get(cr0) & ~(kCD | kNW)) | kNE, 0,
               "KVM sets CR0.NE and clears CR0.CD and CR0.NW in the VMCS guest CR0 (vmx_set_cr0: KVM_VM_CR0_ALWAYS_OFF)");
  }
  if (w.has(cr4) && !(w.get(cr4) & 0x2000)) {
    keep_guest_value(w, in, cr4);
    w.inferred(cr4, w.get(cr4) | 0x2000, 0, "KVM always sets CR4.VMXE in the VMCS guest CR4 (vmx_set_cr4)");
  }
  if (w.has(efer) && !w.has(ia32e))
    w.inferred(ia32e, (w.get(efer) >> 10) & 1, 0, "KVM sets the IA-32e mode guest entry control from EFER.LMA (vmx_set_efer)");
  for (const char* s : {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"}) {
    const SlotWriter::Id ar = w.id(std::string(s) + ".ar");
    if (w.has(ar) && !(w.get(ar) & 0x80) && !(w.get(ar) & 0x10000)) {
      keep_guest_value(w, in, ar);
      w.inferred(ar, 0x10000, 0,
                 std::string("the dump shows ") + s + " not present; KVM writes it to the VMCS as unusable (vmx_segment_access_rights)");
    }
  }
  w.note(0, "without unrestricted guest KVM also forces CR0.PE/PG (and CR4.PAE) in the VMCS and runs real mode in vm86; "
            "the dump cannot show which: set vmx.unrestricted_guest with --set if known");
}

void kvm_svm_view(SlotWriter& w, StateInput& in) {
  const SlotWriter::Id efer = w.id("EFER"), vmrun = w.id("intercept.vmrun");
  if (w.has(efer) && !(w.get(efer) & 0x1000)) {
    keep_guest_value(w, in, efer);
    w.inferred(efer, w.get(efer) | 0x1000, 0, "KVM runs the guest with EFER.SVME=1 in the VMCB (svm_set_efer)");
  }
  if (vmrun >= 0 && !w.has(vmrun)) w.inferred(vmrun, 1, 0, "KVM always intercepts VMRUN (init_vmcb)");
}

void kvm_view(SlotWriter& w, StateInput& in, const ReadOptions& opts) {
  const std::string_view flavor = opts.flavor.empty() ? in.flavor : opts.flavor;
  if (flavor == "vmx") kvm_vmx_view(w, in);
  if (flavor == "svm") kvm_svm_view(w, in);
}

}  // namespace vcpuspec::readers

#include "readers/kvm_view.hpp"

#include <initializer_list>

namespace vcpuspec::readers {

namespace {

using Id = SlotWriter::Id;

constexpr uint64_t kPE = 1, kNE = 1ULL << 5, kWP = 1ULL << 16, kNW = 1ULL << 29, kCD = 1ULL << 30, kPG = 1ULL << 31;
constexpr uint64_t kVME = 1, kPSE = 1ULL << 4, kPAE = 1ULL << 5, kVMXE = 1ULL << 13, kSMEP = 1ULL << 20,
                   kSMAP = 1ULL << 21, kPKE = 1ULL << 22, kCET = 1ULL << 23;
constexpr uint64_t kIOPL = 3ULL << 12, kVM = 1ULL << 17;
constexpr uint64_t kSVME = 1ULL << 12;  // EFER
constexpr uint64_t kUnusable = 0x10000, kPresent = 0x80, kDplMask = 0x60, kTypeMask = 0xf;
// The registers real mode runs in vm86 with (enter_rmode: fix_rmode_seg); TR is KVM's own.
constexpr const char* kRealModeSegments[] = {"ES", "CS", "SS", "DS", "FS", "GS"};
// QEMU's kvm_arch_init (target/i386/kvm/kvm.c at 00001a22d183): KVM_SET_IDENTITY_MAP_ADDR
// to KVM_IDENTITY_BASE (0xfeffc000) and KVM_SET_TSS_ADDR one page above it.
constexpr uint64_t kQemuIdentityMap = 0xfeffc000, kQemuTss = 0xfeffd000;
// enter_rmode: GUEST_TR_LIMIT = RMODE_TSS_SIZE - 1, RMODE_TSS_SIZE = TSS_BASE_SIZE (0x68) +
// TSS_REDIRECTION_SIZE (0x20) + TSS_IOPB_SIZE (0x2000) + 1 (arch/x86/include/asm/kvm_host.h).
constexpr uint64_t kRmodeTssLimit = 0x68 + 0x20 + 0x2000;

// A --set value the view depends on: the first of `names` given, else -1.
int config_bit(const ReadOptions& o, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    for (const auto& [name, value] : o.config)
      if (name == n) return value ? 1 : 0;
  return -1;
}

// The guest's value, kept once (the first change) for --expect.
void keep_guest_value(SlotWriter& w, StateInput& in, Id slot) {
  if (!w.has(slot)) return;
  for (const StateInput::GuestValue& g : in.guest_values)
    if (g.slot == static_cast<size_t>(slot)) return;
  in.guest_values.push_back({static_cast<size_t>(slot), w.get(slot), in.origin[static_cast<size_t>(slot)]});
}

// The VMCS field holds `value` where the guest's view holds another (or none).
void vmcs_value(SlotWriter& w, StateInput& in, Id slot, uint64_t value, const std::string& why) {
  if (slot < 0 || (w.has(slot) && w.get(slot) == value)) return;
  keep_guest_value(w, in, slot);
  w.inferred(slot, value, 0, why);
}

// The VMCS field holds a value no guest-visible dump shows.
void vmcs_unknown(SlotWriter& w, StateInput& in, std::string_view name, const std::string& why) {
  const Id slot = w.id(name);
  if (slot < 0) return;
  keep_guest_value(w, in, slot);
  w.unreadable(slot, 0, "");
  w.note(0, std::string(name) + " is left missing: " + why);
}

// What both settings share: hw_cr0 = (cr0 & ~KVM_VM_CR0_ALWAYS_OFF) | NE
// (CD and NW never reach the VMCS: KVM emulates them through the EPT memory
// type), vmx_set_cr4 (VMXE), vmx_set_efer (the IA-32e mode guest control
// from EFER.LMA), vmx_segment_access_rights (a segment that is not present
// is unusable).
void common_view(SlotWriter& w, StateInput& in) {
  const Id cr0 = w.id("CR0"), cr4 = w.id("CR4"), efer = w.id("EFER"), ia32e = w.id("entry.ia32e_mode_guest");
  if (w.has(cr0))
    vmcs_value(w, in, cr0, (w.get(cr0) & ~(kCD | kNW)) | kNE,
               "KVM sets CR0.NE and clears CR0.CD and CR0.NW in the VMCS guest CR0 (vmx_set_cr0: KVM_VM_CR0_ALWAYS_OFF)");
  if (w.has(cr4))
    vmcs_value(w, in, cr4, w.get(cr4) | kVMXE, "KVM always sets CR4.VMXE in the VMCS guest CR4 (vmx_set_cr4)");
  if (w.has(efer) && !w.has(ia32e))
    w.inferred(ia32e, (w.get(efer) >> 10) & 1, 0, "KVM sets the IA-32e mode guest entry control from EFER.LMA (vmx_set_efer)");
  for (const char* s : {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"}) {
    const Id ar = w.id(std::string(s) + ".ar");
    if (w.has(ar) && !(w.get(ar) & kPresent) && !(w.get(ar) & kUnusable))
      vmcs_value(w, in, ar, kUnusable,
                 std::string("the dump shows ") + s + " not present; KVM writes it to the VMCS as unusable (vmx_segment_access_rights)");
  }
}

// __vmx_set_segment: with unrestricted guest KVM sets the accessed bit of
// every segment but LDTR (for old QEMUs that cleared it at RESET); without
// it, not. Unknown setting: the field is unknown where the two differ.
void accessed_bits(SlotWriter& w, StateInput& in, int ug) {
  for (const char* s : {"ES", "CS", "SS", "DS", "FS", "GS", "TR"}) {
    const std::string name = std::string(s) + ".ar";
    const Id ar = w.id(name);
    if (!w.has(ar) || (w.get(ar) & kUnusable) || (w.get(ar) & 1)) continue;
    if (ug == 1)
      vmcs_value(w, in, ar, w.get(ar) | 1,
                 "with unrestricted guest KVM sets the segment's accessed bit in the VMCS (__vmx_set_segment)");
    else if (ug < 0)
      vmcs_unknown(w, in, name,
                   "with unrestricted guest KVM sets its accessed bit in the VMCS (__vmx_set_segment), without it not; "
                   "--set vmx.unrestricted_guest=0 or =1 decides it");
  }
}

// vmx_set_cr0, vmx_set_cr4, enter_rmode and vmx_set_rflags without
// unrestricted guest. `ept` is 1, 0 or -1 (unknown).
void restricted_view(SlotWriter& w, StateInput& in, int ept) {
  const Id cr0 = w.id("CR0"), cr4 = w.id("CR4"), rflags = w.id("RFLAGS");
  if (!w.has(cr0)) {
    w.note(0, "without unrestricted guest KVM's VMCS depends on the guest's CR0, which the dump does not give: "
              "CR0, CR3, CR4, RFLAGS and the segments are judged as the dump shows them");
    return;
  }
  const uint64_t g0 = w.get(cr0);
  const bool pe = g0 & kPE, pg = g0 & kPG, vm86 = !pe;
  const bool qemu = in.format == "qemu";

  // CR0: KVM_VM_CR0_ALWAYS_ON (NE, PG, PE), and WP without EPT.
  const uint64_t hw0 = (g0 & ~(kCD | kNW)) | kNE | kPE | kPG;
  const bool cet = w.has(cr4) && (w.get(cr4) & kCET);
  if (ept < 0 && !(g0 & kWP) && cet)
    vmcs_unknown(w, in, "CR0", "without EPT KVM also sets CR0.WP, and CR4.CET reads it: --set vmx.ept decides it");
  else
    vmcs_value(w, in, cr0, ept == 0 ? hw0 | kWP : hw0,
               ept == 0 ? "without unrestricted guest and EPT KVM runs the guest with CR0.PE, PG, NE and WP set and "
                          "CD, NW clear (vmx_set_cr0: KVM_VM_CR0_ALWAYS_ON, WP without enable_ept)"
                        : "without unrestricted guest KVM runs the guest with CR0.PE, PG and NE set and CD, NW clear "
                          "(vmx_set_cr0: KVM_VM_CR0_ALWAYS_ON, KVM_VM_CR0_ALWAYS_OFF)");

  // CR4: KVM_RMODE_VM_CR4_ALWAYS_ON in vm86 (VME, PAE, VMXE), else
  // KVM_PMODE_VM_CR4_ALWAYS_ON (PAE, VMXE); with EPT, PAE follows the guest
  // and an unpaged guest runs on KVM's 4-MByte identity map (PSE); SMEP,
  // SMAP and PKE are off while the guest has paging off.
  if (w.has(cr4)) {
    const uint64_t g4 = w.get(cr4);
    auto hw4 = [&](bool with_ept) {
      uint64_t v = g4 | kVMXE | kPAE | (vm86 ? kVME : 0);
      if (with_ept && !pg) v = (v & ~kPAE) | kPSE;
      else if (with_ept && !(g4 & kPAE)) v &= ~kPAE;
      if (!pg) v &= ~(kSMEP | kSMAP | kPKE);
      return v;
    };
    if (ept < 0 && hw4(true) != hw4(false))
      vmcs_unknown(w, in, "CR4", "without unrestricted guest KVM's CR4.PAE and PSE depend on EPT (vmx_set_cr4): --set vmx.ept decides it");
    else
      vmcs_value(w, in, cr4, hw4(ept == 1),
                 std::string("without unrestricted guest KVM runs the guest with ") +
                     (vm86 ? "CR4.VME, " : "") + (!pg && ept == 1 ? "CR4.PSE (its identity map)" : "CR4.PAE") +
                     (!pg ? ", SMEP/SMAP/PKE clear" : "") + " and VMXE (vmx_set_cr4)");
  }

  // CR3: KVM's own page tables wherever the guest's are not in use.
  if (ept == 1 && !pg) {
    if (qemu)
      vmcs_value(w, in, w.id("CR3"), kQemuIdentityMap,
                 "with paging off KVM runs the guest on its EPT identity map (vmx_load_mmu_pgd: ept_identity_map_addr), "
                 "which QEMU puts at 0xfeffc000 (kvm_arch_init: KVM_IDENTITY_BASE)");
    else
      vmcs_unknown(w, in, "CR3", "with paging off KVM runs the guest on its EPT identity map, at an address the VMM sets "
                                 "(KVM_SET_IDENTITY_MAP_ADDR) and the dump does not show");
  } else if (ept == 0) {
    vmcs_unknown(w, in, "CR3", "without EPT the VMCS holds KVM's shadow page-table root, which no dump shows");
  } else if (ept < 0) {
    vmcs_unknown(w, in, "CR3", "without unrestricted guest the VMCS CR3 depends on EPT (KVM's own page tables without it, "
                               "or with paging off): --set vmx.ept decides it");
  }

  in.vmm_emulates_invalid_segments = true;
  w.note(0, "without unrestricted guest KVM does not enter while the segments are not valid for VM entry: it emulates the "
            "guest instead (vmx_emulation_required; emulate_invalid_guest_state, on by default)");
  if (!vm86) return;

  // Real mode as virtual-8086 (enter_rmode, vmx_set_rflags).
  if (w.has(rflags))
    vmcs_value(w, in, rflags, w.get(rflags) | kVM | kIOPL,
               "KVM runs guest real mode as virtual-8086: RFLAGS.VM and IOPL=3 in the VMCS (enter_rmode, vmx_set_rflags)");
  for (const char* s : kRealModeSegments) {
    const Id ar = w.id(std::string(s) + ".ar");
    if (!w.has(ar) || (w.get(ar) & kUnusable)) continue;
    uint64_t v = (w.get(ar) & ~kDplMask) | kDplMask;
    if (std::string_view(s) == "CS") v = (v & ~kTypeMask) | 3;
    vmcs_value(w, in, ar, v,
               std::string("in virtual-8086 KVM writes ") + s + " with DPL 3" + (std::string_view(s) == "CS" ? " and type 3" : "") +
                   " (fix_rmode_seg, emulate_invalid_guest_state on: base, limit and selector as the guest has them)");
  }
  if (qemu)
    vmcs_value(w, in, w.id("TR.base"), kQemuTss,
               "in virtual-8086 TR is KVM's real-mode TSS (enter_rmode: tss_addr), which QEMU puts at 0xfeffd000 (kvm_arch_init)");
  else
    vmcs_unknown(w, in, "TR.base", "in virtual-8086 TR is KVM's real-mode TSS, at an address the VMM sets (KVM_SET_TSS_ADDR) "
                                   "and the dump does not show");
  vmcs_value(w, in, w.id("TR.limit"), kRmodeTssLimit, "in virtual-8086 KVM's TSS has limit RMODE_TSS_SIZE - 1 (enter_rmode)");
  vmcs_value(w, in, w.id("TR.ar"), 0x8b, "in virtual-8086 KVM's TSS is a busy 32-bit TSS, AR 0x8b (enter_rmode)");
}

}  // namespace

void kvm_vmx_view(SlotWriter& w, StateInput& in, const ReadOptions& opts) {
  const int ug = config_bit(opts, {"secondary.unrestricted_guest", "vmx.unrestricted_guest"});
  if (ug == 0) {
    // First, so that each changed field gets one note (common_view then finds CR0 and CR4 done).
    restricted_view(w, in, config_bit(opts, {"secondary.enable_ept", "vmx.ept"}));
    common_view(w, in);
    return;
  }
  common_view(w, in);
  accessed_bits(w, in, ug);
  if (ug < 0)
    w.note(0, "without unrestricted guest KVM also forces CR0.PE/PG (and CR4.PAE) in the VMCS and runs real mode in vm86; "
              "the dump cannot show which: set vmx.unrestricted_guest with --set if known");
}

void kvm_svm_view(SlotWriter& w, StateInput& in) {
  const Id efer = w.id("EFER"), vmrun = w.id("intercept.vmrun");
  if (w.has(efer)) vmcs_value(w, in, efer, w.get(efer) | kSVME, "KVM runs the guest with EFER.SVME=1 in the VMCB (svm_set_efer)");
  if (vmrun >= 0 && !w.has(vmrun)) w.inferred(vmrun, 1, 0, "KVM always intercepts VMRUN (init_vmcb)");
}

void kvm_view(SlotWriter& w, StateInput& in, const ReadOptions& opts) {
  const std::string_view flavor = opts.flavor.empty() ? in.flavor : opts.flavor;
  if (flavor == "vmx") kvm_vmx_view(w, in, opts);
  if (flavor == "svm") kvm_svm_view(w, in);
}

}  // namespace vcpuspec::readers

// The acceptance oracle's cases: for each check KVM enforces on a user-space
// write, a boundary pair built for the vCPU's CPU, the ioctl that carries the
// change, and why KVM accepts the failing state where it is known to.
#include "capture/acceptance.hpp"

namespace vcpuspec::capture {

namespace {

bool has(const CpuModel& cpu, const char* feature) {
  for (const auto& [name, on] : cpu.features)
    if (name == feature) return on;
  return false;
}

uint64_t xcr0_ok(const CpuModel& cpu) { return cpu.xcr0_supported.value_or(1) | 1; }

// 64-bit long mode from RESET: CR0 = PG|ET|PE, CR4 = PAE, EFER = LME|LMA, CR3 = 0x4000.
std::vector<Assign> long_mode() {
  return {{"CR0", 0x80000011}, {"CR4", 0x20}, {"EFER", 0x500}, {"CR3", 0x4000}};
}

using Pair = std::optional<BoundaryPair>;

Pair cr0_hi(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"CR0", 0x160000010}}, "CR0 bit 32 set"}; }
Pair cr0_nw(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"CR0", 0x20000010}}, "CR0.NW=1 with CD=0"}; }
Pair cr0_pg(const CpuModel&, std::string&) {
  return BoundaryPair{long_mode(), {{"CR0", 0x80000010}}, "long mode, then CR0.PE=0 (PG=1)"};
}
Pair cr0_et(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"CR0", 0x60000000}}, "CR0.ET=0"}; }
Pair cr0_rsvd(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"CR0", 0x60080010}}, "CR0 bit 19 (reserved) set"};
}
Pair cr0_wp_cet(const CpuModel& cpu, std::string& why) {
  if (!has(cpu, "cet")) {
    why = "the vCPU has no CET (CR4.CET is reserved without it)";
    return std::nullopt;
  }
  return BoundaryPair{{{"CR0", 0x60010010}, {"CR4", 0x800000}}, {{"CR0", 0x60000010}}, "CR4.CET=1, then CR0.WP=0"};
}
Pair cr4_rsvd(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"CR4", 0x8000}}, "CR4 bit 15 (reserved) set"}; }
Pair cr4_features(const CpuModel& cpu, std::string& why) {
  struct Bit { const char* feature; uint64_t cr4; const char* name; };
  const Bit bits[] = {{"vmx", 1ull << 13, "VMXE"}, {"smx", 1ull << 14, "SMXE"}, {"la57", 1ull << 12, "LA57"},
                      {"pku", 1ull << 22, "PKE"},  {"smep", 1ull << 20, "SMEP"}, {"smap", 1ull << 21, "SMAP"},
                      {"umip", 1ull << 11, "UMIP"}, {"fred", 1ull << 32, "FRED"}};
  // The passing state sets a bit whose feature the vCPU has, if there is one.
  std::vector<Assign> base;
  uint64_t cr4 = 0;
  if (has(cpu, "xsave")) {
    cr4 = 1ull << 18;
    base.push_back({"CR4", cr4});
  }
  for (const Bit& b : bits)
    if (!has(cpu, b.feature))
      return BoundaryPair{base, {{"CR4", cr4 | b.cr4}}, std::string("CR4.") + b.name + "=1 without cpu." + b.feature};
  why = "the vCPU has every CPU feature this case tries";
  return std::nullopt;
}
Pair cr4_osxsave(const CpuModel& cpu, std::string& why) {
  if (has(cpu, "xsave")) {
    why = "the vCPU has XSAVE";
    return std::nullopt;
  }
  return BoundaryPair{{}, {{"CR4", 1ull << 18}}, "CR4.OSXSAVE=1 without cpu.xsave"};
}
Pair cr4_cet_wp(const CpuModel& cpu, std::string& why) {
  if (!has(cpu, "cet")) {
    why = "the vCPU has no CET";
    return std::nullopt;
  }
  return BoundaryPair{{}, {{"CR4", 0x800000}}, "CR4.CET=1 with CR0.WP=0"};
}
Pair cr4_pae_lm(const CpuModel&, std::string&) {
  return BoundaryPair{long_mode(), {{"CR4", 0}}, "long mode, then CR4.PAE=0"};
}
Pair cr3_pa_long(const CpuModel& cpu, std::string& why) {
  if (!cpu.maxphyaddr || *cpu.maxphyaddr >= 64) {
    why = "MAXPHYADDR unknown";
    return std::nullopt;
  }
  return BoundaryPair{long_mode(), {{"CR3", 0x4000 | (1ull << *cpu.maxphyaddr)}},
                      "long mode, CR3 bit MAXPHYADDR (" + std::to_string(*cpu.maxphyaddr) + ") set"};
}
Pair cr3_pa_real(const CpuModel& cpu, std::string& why) {
  if (!cpu.maxphyaddr || *cpu.maxphyaddr >= 64) {
    why = "MAXPHYADDR unknown";
    return std::nullopt;
  }
  return BoundaryPair{{}, {{"CR3", 1ull << *cpu.maxphyaddr}},
                      "real mode (RESET), CR3 bit MAXPHYADDR (" + std::to_string(*cpu.maxphyaddr) + ") set"};
}
Pair cr8_rsvd(const CpuModel&, std::string&) { return BoundaryPair{{{"CR8", 0xF}}, {{"CR8", 0x1F}}, "CR8 bit 4 set"}; }
Pair efer_rsvd_sregs(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"EFER", 1ull << 16}}, "EFER bit 16 (reserved) set"};
}
Pair efer_rsvd_msrs(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"EFER", 1ull << 16, 0xC0000080}}, "EFER bit 16 (reserved) set"};
}
// An EFER feature bit whose CPUID feature the vCPU lacks.
Pair efer_cpuid(const CpuModel& cpu, std::string& why, uint32_t msr) {
  struct Bit { const char* feature; uint64_t efer; const char* name; };
  const Bit bits[] = {{"svm", 1ull << 12, "SVME"}, {"autoibrs", 1ull << 21, "AUTOIBRS"},
                      {"tce", 1ull << 15, "TCE"},  {"fxsr_opt", 1ull << 14, "FFXSR"}, {"nx", 1ull << 11, "NXE"}};
  std::vector<Assign> base;
  if (has(cpu, "nx")) base.push_back({"EFER", 1ull << 11, msr});  // a feature bit the vCPU has
  uint64_t efer = has(cpu, "nx") ? 1ull << 11 : 0;
  for (const Bit& b : bits)
    if (!has(cpu, b.feature))
      return BoundaryPair{base, {{"EFER", efer | b.efer, msr}},
                          std::string("EFER.") + b.name + "=1 without cpu." + b.feature};
  why = "the vCPU has every EFER feature this case tries";
  return std::nullopt;
}
Pair efer_cpuid_sregs(const CpuModel& cpu, std::string& why) { return efer_cpuid(cpu, why, 0); }
Pair efer_cpuid_msrs(const CpuModel& cpu, std::string& why) { return efer_cpuid(cpu, why, 0xC0000080); }
Pair lm_lma_missing(const CpuModel&, std::string&) {
  return BoundaryPair{long_mode(), {{"EFER", 0x100}}, "long mode, then EFER.LMA=0 (LME=1, PG=1)"};
}
Pair lm_lma_alone(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"EFER", 0x400}}, "EFER.LMA=1 with LME=0, PG=0"};
}
Pair lm_cs_l(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"CS.ar", 0x209B}}, "CS.L=1 outside long mode"};
}
Pair apic_rsvd(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"APIC_BASE", 0xFEE00B00}}, "IA32_APIC_BASE bit 9 (reserved) set"};
}
Pair apic_maxphy(const CpuModel& cpu, std::string& why) {
  if (!cpu.maxphyaddr || *cpu.maxphyaddr >= 64) {
    why = "MAXPHYADDR unknown";
    return std::nullopt;
  }
  return BoundaryPair{{}, {{"APIC_BASE", 0xFEE00900 | (1ull << *cpu.maxphyaddr)}},
                      "IA32_APIC_BASE bit MAXPHYADDR (" + std::to_string(*cpu.maxphyaddr) + ") set"};
}
Pair apic_mode(const CpuModel& cpu, std::string& why) {
  if (!has(cpu, "x2apic")) {
    why = "the vCPU has no x2APIC (EXTD is reserved without it)";
    return std::nullopt;
  }
  return BoundaryPair{{{"APIC_BASE", 0xFEE00D00, 0x1B}}, {{"APIC_BASE", 0xFEE00500, 0x1B}},
                      "x2APIC mode, then EN=0 (EXTD=1)"};
}
Pair dr6_hi(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"DR6", 0x1FFFF0FF0}}, "DR6 bit 32 set"};
}
Pair dr7_hi(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"DR7", 0x100000400}}, "DR7 bit 32 set"}; }
Pair rflags_fixed(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"RFLAGS", 0}}, "RFLAGS bit 1 = 0"}; }
// Not canonical with 48 or with 57 linear-address bits.
constexpr uint64_t kNonCanonical = 0x0100000000000000;
Pair fs_canon_msrs(const CpuModel&, std::string&) {
  return BoundaryPair{{{"FS.base", 0x7FFFFFFFF000, 0xC0000100}}, {{"FS.base", kNonCanonical, 0xC0000100}},
                      "FS.base (IA32_FS_BASE) = 0x0100000000000000"};
}
Pair fs_canon_sregs(const CpuModel&, std::string&) {
  return BoundaryPair{{{"FS.base", 0x7FFFFFFFF000}}, {{"FS.base", kNonCanonical}},
                      "FS.base = 0x0100000000000000"};
}
Pair pat_type(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"PAT", 0x0007040600070402}}, "IA32_PAT.PA0 = 2 (reserved type)"};
}
Pair xcr0_x87(const CpuModel&, std::string&) { return BoundaryPair{{}, {{"XCR0", 0}}, "XCR0 = 0 (x87 clear)"}; }
Pair xcr0_avx(const CpuModel& cpu, std::string& why) {
  if ((xcr0_ok(cpu) & 7) != 7) {
    why = "the vCPU's XCR0 cannot hold AVX";
    return std::nullopt;
  }
  return BoundaryPair{{{"XCR0", 7}}, {{"XCR0", 5}}, "XCR0.AVX=1 with SSE=0"};
}
Pair xcr0_mpx(const CpuModel& cpu, std::string& why) {
  if ((xcr0_ok(cpu) & 0x18) != 0x18) {
    why = "the vCPU has no MPX state components";
    return std::nullopt;
  }
  return BoundaryPair{{{"XCR0", 0x1B}}, {{"XCR0", 0x0B}}, "XCR0.BNDREGS=1 with BNDCSR=0"};
}
Pair xcr0_avx512(const CpuModel& cpu, std::string& why) {
  if ((xcr0_ok(cpu) & 0xE7) != 0xE7) {
    why = "the vCPU has no AVX-512 state components";
    return std::nullopt;
  }
  return BoundaryPair{{{"XCR0", 0xE7}}, {{"XCR0", 0x67}}, "XCR0 AVX-512 bits 7:5 = 011"};
}
Pair xcr0_amx(const CpuModel& cpu, std::string& why) {
  if ((xcr0_ok(cpu) & 0x60003) != 0x60003) {
    why = "the vCPU has no AMX state components (or no permission for them)";
    return std::nullopt;
  }
  return BoundaryPair{{{"XCR0", 0x60003}}, {{"XCR0", 0x20003}}, "XCR0.XTILECFG=1 with XTILEDATA=0"};
}
Pair xcr0_supervisor(const CpuModel&, std::string&) {
  return BoundaryPair{{}, {{"XCR0", 0x101}}, "XCR0 bit 8 (PT, an IA32_XSS component) set"};
}
Pair xcr0_supported(const CpuModel& cpu, std::string& why) {
  const unsigned bits[] = {9, 19, 62};
  for (unsigned b : bits)
    if (!((xcr0_ok(cpu) >> b) & 1))
      return BoundaryPair{{}, {{"XCR0", 1 | (1ull << b)}}, "XCR0 bit " + std::to_string(b) + ", which the vCPU does not support"};
  why = "the vCPU supports every XCR0 bit this case tries";
  return std::nullopt;
}

// Why KVM accepts a state the checker fails, where it does (KVM function names).
constexpr const char* kEtNote =
    "KVM_SET_SREGS stores CR0 through the vendor set_cr0 hook; only kvm_set_cr0 (MOV to CR0) forces ET";
constexpr const char* kCr0RsvdNote =
    "kvm_is_valid_cr0 checks bits 63:32, NW/CD and PG/PE only; kvm_set_cr0 (MOV to CR0) drops the other reserved bits";
constexpr const char* kCr3Note =
    "kvm_is_valid_sregs checks CR3 legality only when EFER.LME=1 and CR0.PG=1 (kvm_set_cr3 checks it on every MOV to CR3)";
constexpr const char* kCr8Note = "__set_sregs_common ignores kvm_set_cr8's refusal: the reserved bits are dropped";
constexpr const char* kEferSregsNote =
    "KVM_SET_SREGS hands EFER to the vendor set_efer unchecked; kvm_is_valid_sregs calls kvm_valid_efer only from a 2026 patch (Yosry Ahmed, Cc: stable)";
constexpr const char* kRflagsNote = "KVM_SET_REGS forces RFLAGS bit 1 (__set_regs | X86_EFLAGS_FIXED)";
constexpr const char* kSegBaseNote = "KVM_SET_SREGS does not check segment bases; IA32_FS_BASE through KVM_SET_MSRS does";

constexpr AcceptanceCase kCases[] = {
    {"cr0_hi", "ARCH.CR0.HI", "KVM_SET_SREGS", "", cr0_hi},
    {"cr0_nw", "ARCH.CR0.NW_NEEDS_CD", "KVM_SET_SREGS", "", cr0_nw},
    {"cr0_pg", "ARCH.CR0.PG_NEEDS_PE", "KVM_SET_SREGS", "", cr0_pg},
    {"cr0_et", "ARCH.CR0.ET", "KVM_SET_SREGS", kEtNote, cr0_et},
    {"cr0_rsvd", "ARCH.CR0.RSVD", "KVM_SET_SREGS", kCr0RsvdNote, cr0_rsvd},
    {"cr0_wp_cet", "ARCH.CR0.WP_CET", "KVM_SET_SREGS", "", cr0_wp_cet},
    {"cr4_rsvd", "ARCH.CR4.RSVD", "KVM_SET_SREGS", "", cr4_rsvd},
    {"cr4_features", "ARCH.CR4.FEATURES", "KVM_SET_SREGS", "", cr4_features},
    {"cr4_osxsave", "ARCH.CR4.FEATURES", "KVM_SET_SREGS", "", cr4_osxsave},
    {"cr4_cet_wp", "ARCH.CR4.CET_NEEDS_WP", "KVM_SET_SREGS", "", cr4_cet_wp},
    {"cr4_pae_lm", "ARCH.CR4.PAE_IN_LM", "KVM_SET_SREGS", "", cr4_pae_lm},
    {"cr3_pa_long", "ARCH.CR3.PA", "KVM_SET_SREGS", "", cr3_pa_long},
    {"cr3_pa_real", "ARCH.CR3.PA", "KVM_SET_SREGS", kCr3Note, cr3_pa_real},
    {"cr8_rsvd", "ARCH.CR8.RSVD", "KVM_SET_SREGS", kCr8Note, cr8_rsvd},
    {"efer_rsvd_sregs", "ARCH.EFER.RSVD", "KVM_SET_SREGS", kEferSregsNote, efer_rsvd_sregs},
    {"efer_rsvd_msrs", "ARCH.EFER.RSVD", "KVM_SET_MSRS", "", efer_rsvd_msrs},
    {"efer_cpuid_sregs", "ARCH.EFER.CPUID", "KVM_SET_SREGS", kEferSregsNote, efer_cpuid_sregs},
    {"efer_cpuid_msrs", "ARCH.EFER.CPUID", "KVM_SET_MSRS", "", efer_cpuid_msrs},
    {"lm_lma_missing", "ARCH.LM.CONSISTENT", "KVM_SET_SREGS", "", lm_lma_missing},
    {"lm_lma_alone", "ARCH.LM.CONSISTENT", "KVM_SET_SREGS", "", lm_lma_alone},
    {"lm_cs_l", "ARCH.LM.CS_L", "KVM_SET_SREGS", "", lm_cs_l},
    {"apic_rsvd", "ARCH.APICBASE.RSVD", "KVM_SET_SREGS", "", apic_rsvd},
    {"apic_maxphy", "ARCH.APICBASE.RSVD", "KVM_SET_SREGS", "", apic_maxphy},
    {"apic_mode", "ARCH.APICBASE.MODE", "KVM_SET_MSRS", "", apic_mode},
    {"dr6_hi", "ARCH.DR6.HI", "KVM_SET_DEBUGREGS", "", dr6_hi},
    {"dr7_hi", "ARCH.DR7.HI", "KVM_SET_DEBUGREGS", "", dr7_hi},
    {"rflags_fixed", "ARCH.RFLAGS.FIXED", "KVM_SET_REGS", kRflagsNote, rflags_fixed},
    {"fs_canon_msrs", "ARCH.MSR.CANON", "KVM_SET_MSRS", "", fs_canon_msrs},
    {"fs_canon_sregs", "ARCH.MSR.CANON", "KVM_SET_SREGS", kSegBaseNote, fs_canon_sregs},
    {"pat_type", "ARCH.MSR.PAT", "KVM_SET_MSRS", "", pat_type},
    {"xcr0_x87", "ARCH.XCR0.X87", "KVM_SET_XCRS", "", xcr0_x87},
    {"xcr0_avx", "ARCH.XCR0.AVX_NEEDS_SSE", "KVM_SET_XCRS", "", xcr0_avx},
    {"xcr0_mpx", "ARCH.XCR0.MPX_PAIR", "KVM_SET_XCRS", "", xcr0_mpx},
    {"xcr0_avx512", "ARCH.XCR0.AVX512", "KVM_SET_XCRS", "", xcr0_avx512},
    {"xcr0_amx", "ARCH.XCR0.AMX_PAIR", "KVM_SET_XCRS", "", xcr0_amx},
    {"xcr0_supervisor", "ARCH.XCR0.SUPERVISOR", "KVM_SET_XCRS", "", xcr0_supervisor},
    {"xcr0_supported", "ARCH.XCR0.SUPPORTED", "KVM_SET_XCRS", "", xcr0_supported},
};

// Disagreements measured on one vendor module and explained there; on any
// other module the same result stays a disagreement.
struct HostDeviation {
  const char* backend;
  const char* case_name;
  const char* reason;
};
constexpr HostDeviation kHostDeviations[] = {
    {"kvm_pvm", "pat_type",
     "kvm_pvm stores an IA32_PAT with a reserved memory type (read back unchanged); kvm_set_msr_common "
     "rejects it with kvm_pat_valid for kvm_intel and kvm_amd"},
    {"kvm_pvm", "cr4_osxsave",
     "kvm_pvm accepts CR4.OSXSAVE although the vCPU's CPUID.01H:ECX.XSAVE is 0 (a guest MOV to CR4 and XSETBV "
     "succeed too, see the guest programs); kvm_intel and kvm_amd reject it through cr4_guest_rsvd_bits "
     "(__cr4_reserved_bits). The kvm_pvm source of this build was not available to say why"},
};

}  // namespace

std::span<const AcceptanceCase> acceptance_cases() { return kCases; }

const char* host_deviation(const std::string& backend, const AcceptanceCase& c) {
  for (const HostDeviation& d : kHostDeviations)
    if (backend == d.backend && std::string_view(c.name) == d.case_name) return d.reason;
  return nullptr;
}

}  // namespace vcpuspec::capture

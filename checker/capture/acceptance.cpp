#include "capture/acceptance.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"

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
    {"ARCH.CR0.HI", "KVM_SET_SREGS", "", cr0_hi},
    {"ARCH.CR0.NW_NEEDS_CD", "KVM_SET_SREGS", "", cr0_nw},
    {"ARCH.CR0.PG_NEEDS_PE", "KVM_SET_SREGS", "", cr0_pg},
    {"ARCH.CR0.ET", "KVM_SET_SREGS", kEtNote, cr0_et},
    {"ARCH.CR0.RSVD", "KVM_SET_SREGS", kCr0RsvdNote, cr0_rsvd},
    {"ARCH.CR0.WP_CET", "KVM_SET_SREGS", "", cr0_wp_cet},
    {"ARCH.CR4.RSVD", "KVM_SET_SREGS", "", cr4_rsvd},
    {"ARCH.CR4.FEATURES", "KVM_SET_SREGS", "", cr4_features},
    {"ARCH.CR4.FEATURES", "KVM_SET_SREGS", "", cr4_osxsave},
    {"ARCH.CR4.CET_NEEDS_WP", "KVM_SET_SREGS", "", cr4_cet_wp},
    {"ARCH.CR4.PAE_IN_LM", "KVM_SET_SREGS", "", cr4_pae_lm},
    {"ARCH.CR3.PA", "KVM_SET_SREGS", "", cr3_pa_long},
    {"ARCH.CR3.PA", "KVM_SET_SREGS", kCr3Note, cr3_pa_real},
    {"ARCH.CR8.RSVD", "KVM_SET_SREGS", kCr8Note, cr8_rsvd},
    {"ARCH.EFER.RSVD", "KVM_SET_SREGS", kEferSregsNote, efer_rsvd_sregs},
    {"ARCH.EFER.RSVD", "KVM_SET_MSRS", "", efer_rsvd_msrs},
    {"ARCH.EFER.CPUID", "KVM_SET_SREGS", kEferSregsNote, efer_cpuid_sregs},
    {"ARCH.EFER.CPUID", "KVM_SET_MSRS", "", efer_cpuid_msrs},
    {"ARCH.LM.CONSISTENT", "KVM_SET_SREGS", "", lm_lma_missing},
    {"ARCH.LM.CONSISTENT", "KVM_SET_SREGS", "", lm_lma_alone},
    {"ARCH.LM.CS_L", "KVM_SET_SREGS", "", lm_cs_l},
    {"ARCH.APICBASE.RSVD", "KVM_SET_SREGS", "", apic_rsvd},
    {"ARCH.APICBASE.RSVD", "KVM_SET_SREGS", "", apic_maxphy},
    {"ARCH.APICBASE.MODE", "KVM_SET_MSRS", "", apic_mode},
    {"ARCH.DR6.HI", "KVM_SET_DEBUGREGS", "", dr6_hi},
    {"ARCH.DR7.HI", "KVM_SET_DEBUGREGS", "", dr7_hi},
    {"ARCH.RFLAGS.FIXED", "KVM_SET_REGS", kRflagsNote, rflags_fixed},
    {"ARCH.MSR.CANON", "KVM_SET_MSRS", "", fs_canon_msrs},
    {"ARCH.MSR.CANON", "KVM_SET_SREGS", kSegBaseNote, fs_canon_sregs},
    {"ARCH.MSR.PAT", "KVM_SET_MSRS", "", pat_type},
    {"ARCH.XCR0.X87", "KVM_SET_XCRS", "", xcr0_x87},
    {"ARCH.XCR0.AVX_NEEDS_SSE", "KVM_SET_XCRS", "", xcr0_avx},
    {"ARCH.XCR0.MPX_PAIR", "KVM_SET_XCRS", "", xcr0_mpx},
    {"ARCH.XCR0.AVX512", "KVM_SET_XCRS", "", xcr0_avx512},
    {"ARCH.XCR0.AMX_PAIR", "KVM_SET_XCRS", "", xcr0_amx},
    {"ARCH.XCR0.SUPERVISOR", "KVM_SET_XCRS", "", xcr0_supervisor},
    {"ARCH.XCR0.SUPPORTED", "KVM_SET_XCRS", "", xcr0_supported},
};

// Disagreements measured on one vendor module and explained there; on any
// other module the same result stays a disagreement.
struct HostDeviation {
  const char* backend;
  const char* check;
  const char* ioctl;
  const char* reason;
};
constexpr HostDeviation kHostDeviations[] = {
    {"kvm_pvm", "ARCH.MSR.PAT", "KVM_SET_MSRS",
     "kvm_pvm stores an IA32_PAT with a reserved memory type (read back unchanged); kvm_set_msr_common "
     "rejects it with kvm_pat_valid for kvm_intel and kvm_amd"},
    {"kvm_pvm", "ARCH.CR4.FEATURES", "KVM_SET_SREGS",
     "kvm_pvm accepts CR4.OSXSAVE although the vCPU's CPUID.01H:ECX.XSAVE is 0 (a guest MOV to CR4 and XSETBV "
     "succeed too, see the guest programs); kvm_intel and kvm_amd reject it through cr4_guest_rsvd_bits "
     "(__cr4_reserved_bits). The kvm_pvm source of this build was not available to say why"},
};

const HostDeviation* host_deviation(const std::string& backend, const AcceptanceCase& c) {
  for (const HostDeviation& d : kHostDeviations)
    if (backend == d.backend && std::string_view(c.check) == d.check && std::string_view(c.ioctl) == d.ioctl) return &d;
  return nullptr;
}

// The two views of one state: what is written to KVM (MSR-channel fields
// go through KVM_SET_MSRS) and what the checker sees.
struct FedState {
  KvmVcpuState kvm;
  KvmVcpuState checker;
};

bool apply(FedState& s, const std::vector<Assign>& assigns, std::string& err) {
  for (const Assign& a : assigns) {
    if (!set_field(s.checker, a.field, a.value)) {
      err = "cannot express " + a.field;
      return false;
    }
    if (a.msr) {
      bool replaced = false;
      for (MsrValue& m : s.kvm.msrs)
        if (m.index == a.msr) m.value = a.value, replaced = true;
      if (!replaced) s.kvm.msrs.push_back({a.msr, a.value});
    } else if (!set_field(s.kvm, a.field, a.value)) {
      err = "cannot express " + a.field;
      return false;
    }
  }
  return true;
}

struct KvmVerdict {
  bool accepted = false;
  std::string detail;
  std::string readback;
};

// Feeds a state to a fresh vCPU; on acceptance, reads the named fields back.
std::optional<KvmVerdict> feed(const std::string& device, const FedState& s, const std::vector<Assign>& watched,
                               CaptureError& err) {
  std::unique_ptr<Vm> vm = Vm::create(device, err);
  if (!vm) return std::nullopt;
  Vcpu* v = vm->add_vcpu(0, err);
  if (!v) return std::nullopt;
  KvmVerdict out;
  WriteResult w = write_vcpu(*v, s.kvm);
  out.accepted = w.accepted;
  if (!w.accepted) {
    out.detail = std::string(set_ioctl_name(w.rejected_by)) + ": " + w.detail;
    return out;
  }
  KvmVcpuState back;
  std::vector<uint32_t> indices = msr_indices();
  for (const Assign& a : watched)
    if (a.msr) indices.push_back(a.msr);
  if (!read_vcpu(*v, indices, back, err)) return std::nullopt;
  std::vector<Field> now = state_fields(back), wrote = state_fields(s.checker);
  for (const Assign& a : watched) {
    uint64_t got = 0, want = 0;
    bool have_got = false, have_want = false;
    for (const Field& f : now) if (f.name == a.field) got = f.value, have_got = true;
    for (const Field& f : wrote) if (f.name == a.field) want = f.value, have_want = true;
    if (a.msr && back.msr(a.msr)) got = back.msr(a.msr)->value, have_got = true;
    if (have_got && have_want && got != want) {
      char b[128];
      std::snprintf(b, sizeof b, "%s reads back 0x%llx (written 0x%llx)", a.field.c_str(),
                    static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
      out.readback += (out.readback.empty() ? "" : "; ") + std::string(b);
    }
  }
  return out;
}

struct CheckerVerdict {
  rt::Verdict target = rt::Verdict::Unknown;
  std::vector<std::string> failing;  // every failing check
  std::string error;
};

CheckerVerdict judge(const KvmVcpuState& s, const CpuModel& cpu, const char* check,
                     std::span<const rt::CheckInfo> checks, readers::Slots slots) {
  CheckerVerdict v;
  CaptureDescription d;
  d.flavor = "arch";
  d.bsp = true;
  d.source = "acceptance oracle";
  auto r = readers::read_state_json(state_json(s, cpu, d, slots), "<oracle>", slots);
  if (auto* e = std::get_if<readers::ReadError>(&r)) {
    v.error = e->format();
    return v;
  }
  engine::CheckRun run = engine::run_checks(checks, slots, std::get<readers::StateInput>(r));
  for (const engine::CheckResult& c : run.results) {
    if (std::string_view(c.info->id) == check) v.target = c.verdict;
    if (c.verdict == rt::Verdict::Fail) v.failing.push_back(c.info->id);
  }
  return v;
}

}  // namespace

std::span<const AcceptanceCase> acceptance_cases() { return kCases; }

const char* agreement_name(Agreement a) {
  switch (a) {
    case Agreement::Agree: return "agree";
    case Agreement::Deviation: return "documented deviation";
    case Agreement::HostDeviation: return "host deviation";
    case Agreement::Disagree: return "DISAGREE";
    case Agreement::BadPair: return "bad pair";
    case Agreement::NotTestable: return "not testable here";
  }
  return "?";
}

std::optional<OracleRun> run_acceptance_oracle(const std::string& device, std::span<const rt::CheckInfo> checks,
                                               readers::Slots slots, CaptureError& err) {
  // AMX state components are offered to guests only after the process asks
  // for them (ARCH_REQ_XCOMP_GUEST_PERM, XFEATURE_XTILEDATA); harmless if refused.
  ::syscall(SYS_arch_prctl, 0x1025, 18);
  std::unique_ptr<Vm> vm = Vm::create(device, err);
  if (!vm) return std::nullopt;
  Vcpu* v = vm->add_vcpu(0, err);
  if (!v) return std::nullopt;
  KvmVcpuState reset;
  if (!read_vcpu(*v, msr_indices(), reset, err)) return std::nullopt;
  // The TSC is a counter, not state to feed back: leave it to KVM.
  std::erase_if(reset.msrs, [](const MsrValue& m) { return m.index == kTscMsr; });
  CpuModel cpu = cpu_model(vm->supported_cpuid());
  HostInfo host = host_info();
  OracleRun run;
  run.host = "Linux " + host.kernel + ", vendor module " + (host.backend.empty() ? "unknown" : host.backend);

  for (const AcceptanceCase& c : kCases) {
    CaseResult r;
    r.c = &c;
    std::string why;
    std::optional<BoundaryPair> pair = c.build(cpu, why);
    if (!pair) {
      r.agreement = Agreement::NotTestable;
      r.reason = why;
      run.results.push_back(std::move(r));
      continue;
    }
    r.what = pair->what;
    FedState pass{reset, reset};
    std::string aerr;
    if (!apply(pass, pair->base, aerr)) throw std::logic_error(std::string(c.check) + ": " + aerr);
    FedState fail = pass;
    if (!apply(fail, pair->change, aerr)) throw std::logic_error(std::string(c.check) + ": " + aerr);
    // Every field the pair sets, once (the change overrides the base).
    std::vector<Assign> watched;
    for (const std::vector<Assign>* list : {&pair->base, &pair->change})
      for (const Assign& a : *list) {
        std::erase_if(watched, [&](const Assign& w) { return w.field == a.field; });
        watched.push_back(a);
      }

    auto kp = feed(device, pass, watched, err);
    auto kf = kp ? feed(device, fail, watched, err) : std::nullopt;
    if (!kp || !kf) return std::nullopt;
    r.kvm_accepts_pass = kp->accepted;
    r.kvm_accepts_fail = kf->accepted;
    r.kvm_pass_detail = kp->detail;
    r.kvm_fail_detail = kf->detail;
    r.readback = kf->accepted ? kf->readback : kp->readback;
    CheckerVerdict cp = judge(pass.checker, cpu, c.check, checks, slots);
    CheckerVerdict cf = judge(fail.checker, cpu, c.check, checks, slots);
    r.checker_pass = cp.target;
    r.checker_fail = cf.target;
    for (const std::string& id : cf.failing)
      if (id != c.check) r.also_failing.push_back(id);

    if (!cp.error.empty() || !cf.error.empty()) {
      r.agreement = Agreement::BadPair;
      r.reason = cp.error.empty() ? cf.error : cp.error;
    } else if (cp.target != rt::Verdict::Pass || cf.target != rt::Verdict::Fail || !cp.failing.empty()) {
      r.agreement = Agreement::BadPair;
      r.reason = std::string("the checker says ") + rt::verdict_name(cp.target) + "/" + rt::verdict_name(cf.target) +
                 (cp.failing.empty() ? "" : "; the passing state fails " + cp.failing.front());
    } else if (!kp->accepted) {
      r.agreement = Agreement::Disagree;
      r.reason = "KVM rejects the passing state (" + kp->detail + ")";
    } else if (kf->accepted) {
      const HostDeviation* hd = host_deviation(host.backend, c);
      r.agreement = *c.kvm_note ? Agreement::Deviation : hd ? Agreement::HostDeviation : Agreement::Disagree;
      r.reason = *c.kvm_note ? c.kvm_note : hd ? hd->reason : "KVM accepts the failing state";
    } else {
      r.agreement = Agreement::Agree;
      if (*c.kvm_note) r.reason = std::string("enforced here, although: ") + c.kvm_note;
    }
    run.results.push_back(std::move(r));
  }
  return run;
}

std::string oracle_table(const OracleRun& run) {
  auto kvm = [](bool accepted, const std::string& detail) {
    return accepted ? std::string("accepts") : "rejects (" + detail + ")";
  };
  std::string s = "KVM acceptance oracle on " + run.host + "\n\n";
  s += "| check | ioctl | failing change | KVM: passing / failing state | checker | verdict | why |\n";
  s += "|---|---|---|---|---|---|---|\n";
  size_t agree = 0, deviation = 0, host = 0, disagree = 0, other = 0;
  for (const CaseResult& r : run.results) {
    switch (r.agreement) {
      case Agreement::Agree: ++agree; break;
      case Agreement::Deviation: ++deviation; break;
      case Agreement::HostDeviation: ++host; break;
      case Agreement::Disagree: ++disagree; break;
      default: ++other; break;
    }
    std::string why = r.reason;
    if (!r.readback.empty()) why += (why.empty() ? "" : "; ") + r.readback;
    if (!r.also_failing.empty()) {
      std::string also;
      for (const std::string& id : r.also_failing) also += (also.empty() ? "" : ", ") + id;
      why += (why.empty() ? "" : "; ") + std::string("the change also fails ") + also;
    }
    std::string k = r.agreement == Agreement::NotTestable
                        ? "-"
                        : kvm(r.kvm_accepts_pass, r.kvm_pass_detail) + " / " + kvm(r.kvm_accepts_fail, r.kvm_fail_detail);
    std::string ch = r.agreement == Agreement::NotTestable
                         ? "-"
                         : std::string(rt::verdict_name(r.checker_pass)) + " / " + rt::verdict_name(r.checker_fail);
    s += "| " + std::string(r.c->check) + " | " + r.c->ioctl + " | " + (r.what.empty() ? "-" : r.what) + " | " + k +
         " | " + ch + " | " + agreement_name(r.agreement) + " | " + (why.empty() ? "" : why) + " |\n";
  }
  s += "\n" + std::to_string(run.results.size()) + " cases: " + std::to_string(agree) + " agree, " +
       std::to_string(deviation) + " documented KVM deviations, " + std::to_string(host) +
       " deviations of this vendor module, " + std::to_string(disagree) + " disagree, " +
       std::to_string(other) + " not testable here or bad pairs\n";
  return s;
}

}  // namespace vcpuspec::capture

#include "capture/capture_state.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>

#include "readers/state_json.hpp"

namespace vcpuspec::capture {

namespace {

// spec/arch/msrs.vspec; SDM Vol.4 MSR tables.
constexpr SpecMsr kSpecMsrs[] = {
    {"PAT", 0x277},          {"SMBASE", 0x9E},       {"SYSENTER_CS", 0x174}, {"SYSENTER_ESP", 0x175},
    {"SYSENTER_EIP", 0x176}, {"DEBUGCTL", 0x1D9},    {"MTRR_DEF_TYPE", 0x2FF}, {"TSC", 0x10},
    {"KERNEL_GS_BASE", 0xC0000102}, {"LSTAR", 0xC0000082}, {"CSTAR", 0xC0000083},
    {"STAR", 0xC0000081},    {"FMASK", 0xC0000084},   {"XSS", 0xDA0},         {"SPEC_CTRL", 0x48},
    {"MISC_ENABLE", 0x1A0},
};

struct SegmentRef {
  const char* name;
  kvm_segment kvm_sregs::*member;
};
constexpr SegmentRef kSegments[] = {
    {"CS", &kvm_sregs::cs}, {"SS", &kvm_sregs::ss}, {"DS", &kvm_sregs::ds},  {"ES", &kvm_sregs::es},
    {"FS", &kvm_sregs::fs}, {"GS", &kvm_sregs::gs}, {"LDTR", &kvm_sregs::ldt}, {"TR", &kvm_sregs::tr},
};

struct GprRef {
  const char* name;
  __u64 kvm_regs::*member;
};
constexpr GprRef kGprs[] = {
    {"RAX", &kvm_regs::rax}, {"RBX", &kvm_regs::rbx}, {"RCX", &kvm_regs::rcx}, {"RDX", &kvm_regs::rdx},
    {"RSI", &kvm_regs::rsi}, {"RDI", &kvm_regs::rdi}, {"RBP", &kvm_regs::rbp}, {"RSP", &kvm_regs::rsp},
    {"R8", &kvm_regs::r8},   {"R9", &kvm_regs::r9},   {"R10", &kvm_regs::r10}, {"R11", &kvm_regs::r11},
    {"R12", &kvm_regs::r12}, {"R13", &kvm_regs::r13}, {"R14", &kvm_regs::r14}, {"R15", &kvm_regs::r15},
};

// kvm_segment's flags in the VMX access-rights layout the spec uses
// (SDM Vol.3 24.4.1: type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16).
uint64_t access_rights(const kvm_segment& s) {
  return uint64_t(s.type & 15) | uint64_t(s.s & 1) << 4 | uint64_t(s.dpl & 3) << 5 | uint64_t(s.present & 1) << 7 |
         uint64_t(s.avl & 1) << 12 | uint64_t(s.l & 1) << 13 | uint64_t(s.db & 1) << 14 | uint64_t(s.g & 1) << 15 |
         uint64_t(s.unusable & 1) << 16;
}

bool set_access_rights(kvm_segment& s, uint64_t ar) {
  if (ar & ~0x1F0FFull) return false;  // bits 11:8 and 31:17 have no kvm_segment field
  s.type = ar & 15;
  s.s = (ar >> 4) & 1;
  s.dpl = (ar >> 5) & 3;
  s.present = (ar >> 7) & 1;
  s.avl = (ar >> 12) & 1;
  s.l = (ar >> 13) & 1;
  s.db = (ar >> 14) & 1;
  s.g = (ar >> 15) & 1;
  s.unusable = (ar >> 16) & 1;
  return true;
}

// Spec feature (cpu.<name>) <- CPUID bit; rows with the same name are ORed.
struct FeatureBit {
  const char* name;
  uint32_t leaf, subleaf;
  int reg;  // 0 EAX, 1 EBX, 2 ECX, 3 EDX
  unsigned bit;
};
constexpr FeatureBit kFeatureBits[] = {
    {"lm", 0x80000001, 0, 3, 29},    {"nx", 0x80000001, 0, 3, 20},       {"svm", 0x80000001, 0, 2, 2},
    {"fxsr_opt", 0x80000001, 0, 3, 25}, {"tce", 0x80000001, 0, 2, 17},  {"autoibrs", 0x80000021, 0, 0, 8},
    {"vmx", 1, 0, 2, 5},             {"smx", 1, 0, 2, 6},                {"xsave", 1, 0, 2, 26},
    {"pcid", 1, 0, 2, 17},           {"x2apic", 1, 0, 2, 21},            {"fsgsbase", 7, 0, 1, 0},
    {"smep", 7, 0, 1, 7},            {"smap", 7, 0, 1, 20},              {"umip", 7, 0, 2, 2},
    {"pku", 7, 0, 2, 3},             {"la57", 7, 0, 2, 16},              {"keylocker", 7, 0, 2, 23},
    {"cet", 7, 0, 2, 7},             {"cet", 7, 0, 3, 20},               {"pks", 7, 0, 2, 31},
    {"uintr", 7, 0, 3, 5},           {"lass", 7, 1, 0, 6},               {"lam", 7, 1, 0, 26},
    {"fred", 7, 1, 0, 17},
    // Read by the VMX/SVM entry checks (spec/vmx/vmcs.vspec, spec/svm/vmcb.vspec).
    {"rtm", 7, 0, 1, 11},            {"sgx", 7, 0, 1, 2},                {"mpx", 7, 0, 1, 14},
    {"shstk", 7, 0, 2, 7},           {"ibt", 7, 0, 3, 20},               {"sev_es", 0x8000001F, 0, 0, 3},
};

uint32_t reg_of(const kvm_cpuid_entry2& e, int reg) {
  switch (reg) {
    case 0: return e.eax;
    case 1: return e.ebx;
    case 2: return e.ecx;
    default: return e.edx;
  }
}

// A little-endian field of the XSAVE legacy area.
uint64_t legacy_field(const std::array<__u32, 1024>& x, unsigned offset, unsigned size) {
  uint64_t v = 0;
  std::memcpy(&v, reinterpret_cast<const char*>(x.data()) + offset, size);
  return v;
}

void put_msr(KvmVcpuState& s, uint32_t index, uint64_t value) {
  for (MsrValue& m : s.msrs)
    if (m.index == index) {
      m.value = value;
      return;
    }
  s.msrs.push_back({index, value});
}

}  // namespace

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::span<const SpecMsr> spec_msrs() { return kSpecMsrs; }

std::vector<uint32_t> msr_indices() {
  std::vector<uint32_t> v;
  for (const SpecMsr& m : kSpecMsrs) v.push_back(m.index);
  return v;
}

std::vector<Field> state_fields(const KvmVcpuState& s) {
  std::vector<Field> f;
  const kvm_sregs& sr = s.sregs;
  f.push_back({"CR0", sr.cr0});
  f.push_back({"CR2", sr.cr2});
  f.push_back({"CR3", sr.cr3});
  f.push_back({"CR4", sr.cr4});
  f.push_back({"CR8", sr.cr8});
  f.push_back({"EFER", sr.efer});
  f.push_back({"APIC_BASE", sr.apic_base});
  f.push_back({"RIP", s.regs.rip});
  f.push_back({"RFLAGS", s.regs.rflags});
  for (const GprRef& g : kGprs) f.push_back({g.name, s.regs.*g.member});
  if (s.debugregs) {
    for (int i = 0; i < 4; ++i) f.push_back({"DR" + std::to_string(i), s.debugregs->db[i]});
    f.push_back({"DR6", s.debugregs->dr6});
    f.push_back({"DR7", s.debugregs->dr7});
  }
  if (s.xcr0) f.push_back({"XCR0", *s.xcr0});
  // The XSAVE legacy area (SDM Vol.1 Table 10-2): FCW at byte 0, FSW at 2,
  // the abridged FTW at 4, MXCSR at 24.
  if (s.xsave) {
    f.push_back({"FCW", legacy_field(*s.xsave, 0, 2)});
    f.push_back({"FSW", legacy_field(*s.xsave, 2, 2)});
    f.push_back({"FTW", legacy_field(*s.xsave, 4, 1)});
    f.push_back({"MXCSR", legacy_field(*s.xsave, 24, 4)});
  }
  // The activity state: KVM's mp_state (Documentation/virt/kvm/api.rst
  // KVM_GET_MP_STATE): an AP that waits for INIT/SIPI is wait-for-SIPI (3).
  if (s.mp_state) {
    switch (*s.mp_state) {
      case KVM_MP_STATE_RUNNABLE: f.push_back({"ACTIVITY_STATE", 0}); break;
      case KVM_MP_STATE_HALTED: f.push_back({"ACTIVITY_STATE", 1}); break;
      case KVM_MP_STATE_UNINITIALIZED:
      case KVM_MP_STATE_INIT_RECEIVED:
      case KVM_MP_STATE_SIPI_RECEIVED: f.push_back({"ACTIVITY_STATE", 3}); break;
      default: break;  // not an activity state of the SDM's
    }
  }
  // Interrupt blocking (KVM_GET_VCPU_EVENTS): the STI/MOV SS shadow and NMI
  // masking, in the VMX interruptibility layout (SDM Vol.3 25.4.2).
  if (s.events) {
    const kvm_vcpu_events& e = *s.events;
    uint64_t ib = 0;
    if (e.interrupt.shadow & KVM_X86_SHADOW_INT_STI) ib |= 1;
    if (e.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS) ib |= 2;
    if (e.nmi.masked) ib |= 8;
    f.push_back({"INTERRUPTIBILITY", ib});
    // In SMM: only where KVM says the smi block is valid (a KVM built with SMM).
    if (e.flags & KVM_VCPUEVENT_VALID_SMM) f.push_back({"SMM", e.smi.smm ? 1u : 0u});
  }
  for (const SpecMsr& m : kSpecMsrs)
    if (const MsrValue* v = s.msr(m.index)) f.push_back({m.name, v->value});
  for (const SegmentRef& seg : kSegments) {
    const kvm_segment& k = sr.*seg.member;
    std::string n = seg.name;
    f.push_back({n + ".sel", k.selector});
    f.push_back({n + ".base", k.base});
    f.push_back({n + ".limit", k.limit});
    f.push_back({n + ".ar", access_rights(k)});
  }
  f.push_back({"GDTR.base", sr.gdt.base});
  f.push_back({"GDTR.limit", sr.gdt.limit});
  f.push_back({"IDTR.base", sr.idt.base});
  f.push_back({"IDTR.limit", sr.idt.limit});
  return f;
}

bool set_field(KvmVcpuState& s, std::string_view name, uint64_t v) {
  kvm_sregs& sr = s.sregs;
  auto fits = [&](unsigned bits) { return bits >= 64 || (v >> bits) == 0; };
  if (name == "CR0") { sr.cr0 = v; return true; }
  if (name == "CR2") { sr.cr2 = v; return true; }
  if (name == "CR3") { sr.cr3 = v; return true; }
  if (name == "CR4") { sr.cr4 = v; return true; }
  if (name == "CR8") { sr.cr8 = v; return true; }
  if (name == "EFER") { sr.efer = v; return true; }
  if (name == "APIC_BASE") { sr.apic_base = v; return true; }
  if (name == "RIP") { s.regs.rip = v; return true; }
  if (name == "RFLAGS") { s.regs.rflags = v; return true; }
  if (name == "XCR0") { s.xcr0 = v; return true; }
  for (auto [fname, offset, size] : {std::tuple{"FCW", 0u, 2u}, {"FSW", 2u, 2u}, {"FTW", 4u, 1u}, {"MXCSR", 24u, 4u}})
    if (name == fname) {
      if (!fits(size * 8)) return false;
      if (!s.xsave) s.xsave.emplace();
      std::memcpy(reinterpret_cast<char*>(s.xsave->data()) + offset, &v, size);  // little-endian
      return true;
    }
  for (const GprRef& g : kGprs)
    if (name == g.name) { s.regs.*g.member = v; return true; }
  if (name.size() == 3 && name[0] == 'D' && name[1] == 'R') {
    if (!s.debugregs) s.debugregs = kvm_debugregs{};
    switch (name[2]) {
      case '0': case '1': case '2': case '3': s.debugregs->db[name[2] - '0'] = v; return true;
      case '6': s.debugregs->dr6 = v; return true;
      case '7': s.debugregs->dr7 = v; return true;
      default: return false;
    }
  }
  for (const SpecMsr& m : kSpecMsrs)
    if (name == m.name) { put_msr(s, m.index, v); return true; }
  auto dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view group = name.substr(0, dot), member = name.substr(dot + 1);
  for (const SegmentRef& seg : kSegments) {
    if (group != seg.name) continue;
    kvm_segment& k = sr.*seg.member;
    if (member == "sel" && fits(16)) { k.selector = static_cast<uint16_t>(v); return true; }
    if (member == "base") { k.base = v; return true; }
    if (member == "limit" && fits(32)) { k.limit = static_cast<uint32_t>(v); return true; }
    if (member == "ar") return set_access_rights(k, v);
    return false;
  }
  kvm_dtable* dt = group == "GDTR" ? &sr.gdt : group == "IDTR" ? &sr.idt : nullptr;
  if (!dt) return false;
  if (member == "base") { dt->base = v; return true; }
  if (member == "limit" && fits(16)) { dt->limit = static_cast<uint16_t>(v); return true; }
  return false;
}

CpuModel cpu_model(const CpuidTable& cpuid) {
  CpuModel m;
  if (const kvm_cpuid_entry2* e = cpuid.find(0)) {
    char id[13] = {};
    std::memcpy(id, &e->ebx, 4);
    std::memcpy(id + 4, &e->edx, 4);
    std::memcpy(id + 8, &e->ecx, 4);
    std::string v = id;
    if (v == "GenuineIntel") m.vendor = "intel";
    else if (v == "AuthenticAMD" || v == "HygonGenuine") m.vendor = "amd";
  }
  if (const kvm_cpuid_entry2* e = cpuid.find(1)) m.signature = e->eax;
  if (const kvm_cpuid_entry2* e = cpuid.find(0x80000008)) m.maxphyaddr = e->eax & 0xFF;
  if (const kvm_cpuid_entry2* e = cpuid.find(0xD, 0)) m.xcr0_supported = (uint64_t(e->edx) << 32) | e->eax;
  for (const FeatureBit& f : kFeatureBits) {
    const kvm_cpuid_entry2* e = cpuid.find(f.leaf, f.subleaf);
    bool on = e && ((reg_of(*e, f.reg) >> f.bit) & 1);
    bool found = false;
    for (auto& [name, value] : m.features)
      if (name == f.name) {
        value = value || on;
        found = true;
      }
    if (!found) m.features.emplace_back(f.name, on);
  }
  // EFER.LMSLE has no CPUID bit of its own; Intel CPUs do not implement it
  // (SDM Vol.4: IA32_EFER bit 13 reserved). On AMD it is left unknown.
  if (m.vendor == "intel") m.features.emplace_back("lmsle", false);
  return m;
}

std::string flavor_for_backend(const std::string& backend) {
  if (backend == "kvm_intel") return "vmx";
  if (backend == "kvm_amd") return "svm";
  return "arch";  // kvm_pvm and unknown backends: no VMCS or VMCB behind the vCPU
}

std::string state_json(const KvmVcpuState& s, const CpuModel& cpu, const CaptureDescription& d, readers::Slots slots) {
  using nlohmann::ordered_json;
  auto is_slot = [&](const std::string& n, rt::SlotKind kind) {
    long id = readers::find_slot(slots, n);
    return id >= 0 && slots[static_cast<size_t>(id)].kind == kind;
  };
  ordered_json root;
  root["schema"] = readers::kStateSchema;
  root["flavor"] = d.flavor;
  root["source"] = d.source;
  ordered_json c = ordered_json::object();
  if (!cpu.vendor.empty()) c["vendor"] = cpu.vendor;
  if (cpu.maxphyaddr && is_slot("cpu.maxphyaddr", rt::SlotKind::Param)) c["maxphyaddr"] = *cpu.maxphyaddr;
  if (d.signature && is_slot("cpu.signature", rt::SlotKind::Param)) c["signature"] = hex(*d.signature);
  if (cpu.xcr0_supported && is_slot("cpu.xcr0_supported", rt::SlotKind::Param))
    c["xcr0_supported"] = hex(*cpu.xcr0_supported);
  // The features list is complete by definition: use it only when every
  // cpu.* feature of the spec is known; otherwise name each known one.
  bool complete = true;
  for (const rt::SlotInfo& sl : slots) {
    std::string_view n = sl.name;
    if (sl.kind != rt::SlotKind::Feature || n.substr(0, 4) != "cpu.") continue;
    bool known = false;
    for (const auto& [name, on] : cpu.features) known |= n.substr(4) == name;
    complete &= known;
  }
  if (complete) {
    ordered_json list = ordered_json::array();
    for (const auto& [name, on] : cpu.features)
      if (on && is_slot("cpu." + name, rt::SlotKind::Feature)) list.push_back(name);
    c["features"] = list;
  } else {
    for (const auto& [name, on] : cpu.features)
      if (is_slot("cpu." + name, rt::SlotKind::Feature)) c[name] = on;
  }
  root["cpu"] = c;
  ordered_json config = ordered_json::object();
  if (d.bsp && is_slot("vcpu.bsp", rt::SlotKind::Feature)) config["vcpu.bsp"] = *d.bsp;
  root["config"] = config;
  ordered_json st = ordered_json::object();
  for (const Field& f : state_fields(s)) {
    if (f.name == "TSC" && !d.with_tsc) continue;
    if (std::find(d.omit.begin(), d.omit.end(), f.name) != d.omit.end()) continue;
    long id = readers::find_slot(slots, f.name);
    if (id < 0 || !rt::is_state_slot(slots[static_cast<size_t>(id)].kind)) continue;
    const rt::SlotInfo& sl = slots[static_cast<size_t>(id)];
    if (*sl.group) st[sl.group][sl.member] = hex(f.value);
    else st[f.name] = hex(f.value);
  }
  root["state"] = st;
  return root.dump(2) + "\n";
}

std::string events_summary(const KvmVcpuState& s) {
  std::string out;
  if (s.mp_state) out += std::string("mp_state ") + mp_state_name(*s.mp_state);
  if (s.events) {
    const kvm_vcpu_events& e = *s.events;
    bool any = e.exception.injected || e.exception.pending || e.interrupt.injected || e.nmi.injected || e.nmi.pending ||
               e.smi.smm || e.smi.pending;
    out += out.empty() ? "" : "; ";
    out += any ? "events pending (exception/interrupt/NMI/SMI)" : "no exception, interrupt, NMI or SMI pending";
    if (e.interrupt.shadow) out += ", interrupt shadow";
  }
  return out;
}

}  // namespace vcpuspec::capture

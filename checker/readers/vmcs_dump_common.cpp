#include "runtime/check.hpp"
#include "readers/vmcs_dump_common.hpp"

namespace vcpuspec::readers::vmcs {

namespace {

using text::Line;
using text::Number;
using text::Scanner;

// The hex value after `key` and the '=' that follows it ("CR3 = 0x...",
// "actual=0x..."). False when the key is not on the line.
bool field(const Scanner& sc, const Line& l, SlotWriter& w, std::string_view key, const char* slot,
           std::initializer_list<unsigned> widths) {
  size_t at = sc.find_key(key);
  if (at == std::string::npos) return false;
  size_t eq = sc.text().find('=', at + key.size() - (key.back() == '=' ? 1 : 0));
  if (eq == std::string::npos) {
    w.unreadable(slot, l.no, "no value after " + std::string(key));
    return true;
  }
  w.take(slot, sc.hex(eq + 1, widths), l.no);
  return true;
}

std::optional<uint64_t> word(const Scanner& sc, const Line& l, SlotWriter& w, std::string_view key, uint32_t& line,
                             unsigned digits = 8) {
  size_t at = sc.find_key(key);
  if (at == std::string::npos) return std::nullopt;
  Number n = sc.hex(at + key.size(), {digits});
  if (!n.ok) {
    w.note(l.no, std::string(key.substr(0, key.size() - 1)) + " unreadable (" + n.why + "): its controls stay missing");
    return std::nullopt;
  }
  line = l.no;
  return n.value;
}

}  // namespace

std::optional<Section> section_header(std::string_view line) {
  if (line.find("*** Guest State ***") != std::string_view::npos) return Section::Guest;
  if (line.find("*** Host State ***") != std::string_view::npos) return Section::Host;
  if (line.find("*** Control State ***") != std::string_view::npos) return Section::Control;
  return std::nullopt;
}

bool guest_line(const Line& l, SlotWriter& w) {
  std::string_view t = l.text;
  Scanner sc(l);
  using text::starts_with;
  if (starts_with(t, "CR0:") || starts_with(t, "CR4:")) {
    // "actual" is GUEST_CR0/GUEST_CR4, what VM entry checks; "shadow" is the guest's view.
    field(sc, l, w, "actual=", t[2] == '0' ? "CR0" : "CR4", {16});
    return true;
  }
  if (starts_with(t, "CR3 =") || starts_with(t, "CR3=")) return field(sc, l, w, "CR3", "CR3", {16});
  if (starts_with(t, "PDPTR0") || starts_with(t, "PDPTE0") || starts_with(t, "PDPTR2") || starts_with(t, "PDPTE2")) {
    bool hi = t[5] == '2';
    std::string p(t.substr(0, 5));
    field(sc, l, w, p + (hi ? "2" : "0"), hi ? "PDPTE2" : "PDPTE0", {16});
    field(sc, l, w, p + (hi ? "3" : "1"), hi ? "PDPTE3" : "PDPTE1", {16});
    return true;
  }
  if (starts_with(t, "RSP =")) {
    field(sc, l, w, "RSP", "RSP", {16});
    field(sc, l, w, "RIP", "RIP", {16});
    return true;
  }
  if (starts_with(t, "RFLAGS=")) {
    field(sc, l, w, "RFLAGS", "RFLAGS", {8});
    field(sc, l, w, "DR7", "DR7", {16});
    return true;
  }
  if (starts_with(t, "Sysenter RSP=")) {
    field(sc, l, w, "RSP=", "SYSENTER_ESP", {16});
    size_t at = sc.find_key("CS:RIP=");
    if (at != std::string::npos) {
      Number cs = sc.hex(at + 7, {4});
      w.take("SYSENTER_CS", cs, l.no);
      if (cs.ok && cs.end < t.size() && t[cs.end] == ':') w.take("SYSENTER_EIP", sc.hex(cs.end + 1, {16}), l.no);
      else w.unreadable("SYSENTER_EIP", l.no, "no value after CS:RIP=");
    }
    return true;
  }
  if (starts_with(t, "DebugCtl")) {
    field(sc, l, w, "DebugCtl", "DEBUGCTL", {16});
    field(sc, l, w, "DebugExceptions", "PENDING_DBG", {16});
    return true;
  }
  if (starts_with(t, "Interruptibility")) {
    field(sc, l, w, "Interruptibility", "INTERRUPTIBILITY", {8});
    field(sc, l, w, "ActivityState", "ACTIVITY_STATE", {8});
    return true;
  }
  if (starts_with(t, "PerfGlobCtl") || starts_with(t, "BndCfgS")) {
    field(sc, l, w, "PerfGlobCtl", "PERF_GLOBAL_CTRL", {16});
    field(sc, l, w, "BndCfgS", "BNDCFGS", {16});
    return true;
  }
  if (starts_with(t, "PKRS =")) return field(sc, l, w, "PKRS", "PKRS", {16});
  if (starts_with(t, "PAT =")) return field(sc, l, w, "PAT", "PAT", {16});
  if (starts_with(t, "S_CET =")) {
    field(sc, l, w, "S_CET", "S_CET", {16});
    field(sc, l, w, "SSP =", "SSP", {16});
    field(sc, l, w, "SSP TABLE", "INTERRUPT_SSP_TABLE_ADDR", {16});
    return true;
  }
  // The KVM CET series as posted (2021) printed the three on lines of their own.
  if (starts_with(t, "SSP TABLE")) return field(sc, l, w, "SSP TABLE", "INTERRUPT_SSP_TABLE_ADDR", {16});
  if (starts_with(t, "SSP =")) return field(sc, l, w, "SSP =", "SSP", {16});
  return false;
}

bool host_line(const Line& l, SlotWriter& w) {
  std::string_view t = l.text;
  Scanner sc(l);
  using text::starts_with;
  if (starts_with(t, "RIP =")) return field(sc, l, w, "RIP", "host.RIP", {16});
  if (starts_with(t, "CS=")) {
    for (const char* s : {"CS", "SS", "DS", "ES", "FS", "GS", "TR"}) {
      size_t at = sc.find_key(std::string(s) + "=");
      if (at != std::string::npos) w.take(std::string("host.") + s + "_SEL", sc.hex(at + 3, {4}), l.no);
    }
    return true;
  }
  if (starts_with(t, "FSBase=")) {
    field(sc, l, w, "FSBase=", "host.FS_BASE", {16});
    field(sc, l, w, "GSBase=", "host.GS_BASE", {16});
    field(sc, l, w, "TRBase=", "host.TR_BASE", {16});
    return true;
  }
  if (starts_with(t, "GDTBase=")) {
    field(sc, l, w, "GDTBase=", "host.GDTR_BASE", {16});
    field(sc, l, w, "IDTBase=", "host.IDTR_BASE", {16});
    return true;
  }
  if (starts_with(t, "CR0=")) {
    field(sc, l, w, "CR0=", "host.CR0", {16});
    field(sc, l, w, "CR3=", "host.CR3", {16});
    field(sc, l, w, "CR4=", "host.CR4", {16});
    return true;
  }
  if (starts_with(t, "Sysenter RSP=")) {
    field(sc, l, w, "RSP=", "host.SYSENTER_ESP", {16});
    size_t at = sc.find_key("CS:RIP=");
    if (at != std::string::npos) {
      Number cs = sc.hex(at + 7, {4});
      if (cs.ok && cs.end < t.size() && t[cs.end] == ':') w.take("host.SYSENTER_EIP", sc.hex(cs.end + 1, {16}), l.no);
    }
    return true;
  }
  if (starts_with(t, "EFER")) {
    field(sc, l, w, "EFER", "host.EFER", {16});
    field(sc, l, w, "PAT", "host.PAT", {16});
    return true;
  }
  if (starts_with(t, "PAT =")) return field(sc, l, w, "PAT", "host.PAT", {16});
  if (starts_with(t, "PerfGlobCtl")) return field(sc, l, w, "PerfGlobCtl", "host.PERF_GLOBAL_CTRL", {16});
  return false;
}

const char* headerless_note(Section s) {
  return s == Section::Guest ? "the dump starts without '*** Guest State ***': read as guest state"
                             : "the dump starts inside '*** Control State ***': no guest state";
}

Section section_of(std::string_view t) {
  // The guest's own layouts: "CR4: actual=", "RSP = ... RIP =" (the host
  // prints "RIP = ... RSP ="), "RFLAGS=", "CR3 = " (the host "CR3=").
  for (std::string_view k : {"CR0: actual=", "CR4: actual=", "RSP =", "RFLAGS=", "CR3 =", "PDPTR", "PDPTE", "DebugCtl",
                             "Interruptibility"})
    if (text::starts_with(t, k)) return Section::Guest;
  for (std::string_view k : {"PinBased=", "CPUBased=", "SecondaryExec=", "EntryControls=", "ExceptionBitmap=", "VMEntry:",
                             "VMExit:", "IDTVectoring:", "TSC Offset", "EPT pointer", "TPR Threshold", "PLE Gap",
                             "Virtual processor ID"})
    if (text::starts_with(t, k)) return Section::Control;
  return Section::None;
}

bool control_line(const Line& l, SlotWriter& w, ControlWords& words) {
  Scanner sc(l);
  bool any = false;
  uint32_t line = 0;
  if (auto v = word(sc, l, w, "PinBased=", line)) words.pin = v, any = true;
  if (auto v = word(sc, l, w, "CPUBased=", line)) words.primary = v, any = true;
  if (auto v = word(sc, l, w, "SecondaryExec=", line)) words.secondary = v, any = true;
  if (auto v = word(sc, l, w, "TertiaryExec=", line, 16)) words.tertiary = v, any = true;
  if (auto v = word(sc, l, w, "EntryControls=", line)) words.entry = v, any = true;
  if (auto v = word(sc, l, w, "ExitControls=", line)) words.exit = v, any = true;
  if (line) words.line = line;
  // The VM-execution fields dump_vmcs prints under their controls (KVM:
  // "TPR Threshold = 0x00", "EPT pointer = 0x...", "Virtual processor ID =
  // 0x0001"; Xen's vmcs_dump_vcpu the same names, several to a line).
  struct Exec {
    std::string_view key;
    const char* slot;
    bool width16;  // printed as %016llx; the others at their natural width
  };
  for (const Exec& e : {Exec{"TSC Multiplier", "vmx.tsc_multiplier", true}, Exec{"TPR Threshold", "vmx.tpr_threshold", false},
                        Exec{"APIC-access addr", "vmx.apic_access_addr", true},
                        Exec{"virt-APIC addr", "vmx.virtual_apic_addr", true},
                        Exec{"PostedIntrVec", "vmx.posted_intr_nv", false}, Exec{"EPT pointer", "vmx.eptp", false},
                        Exec{"Virtual processor ID", "vmx.vpid", false}, Exec{"VMfunc controls", "vmx.vmfunc_controls", true},
                        Exec{"VE info address", "vmx.ve_info_addr", true}})
    any |= e.width16 ? field(sc, l, w, e.key, e.slot, {16}) : field(sc, l, w, e.key, e.slot, {});
  std::string_view t = l.text;
  if (text::starts_with(t, "VMEntry:")) {
    field(sc, l, w, "intr_info=", "entry.intr_info", {8});
    field(sc, l, w, "errcode=", "entry.exception_errcode", {8});
    field(sc, l, w, "ilen=", "entry.instr_len", {8});
    return true;
  }
  if (size_t at = sc.find_key("reason="); at != std::string::npos && text::trim(t).rfind("reason=", 0) == 0) {
    Number r = sc.hex(at + 7, {8});
    if (r.ok && (r.value & 0x80000000))
      w.note(l.no, "exit reason " + rt::format_value(r.value, 32) + ": VM entry failed, basic exit reason " +
                       std::to_string(r.value & 0xffff) +
                       ((r.value & 0xffff) == 33   ? " (invalid guest state)"
                        : (r.value & 0xffff) == 34 ? " (MSR loading)"
                        : (r.value & 0xffff) == 41 ? " (machine-check event)"
                                                   : ""));
    return true;
  }
  return any;
}

void apply_controls(const ControlWords& c, SlotWriter& w) {
  if (c.pin) w.control_word("pin", *c.pin, c.line);
  if (c.primary) w.control_word("primary", *c.primary, c.line);
  // With CPUBased bit 31 (activate secondary controls) 0 the check engine
  // reads every secondary control as 0 (`activates secondary`) and notes it.
  const bool secondary_active = c.primary && (*c.primary & (1u << 31));
  if (c.secondary) {
    if (!c.primary)
      w.note(c.line, "SecondaryExec shown but CPUBased is not: whether the secondary controls are active is unknown");
    else
      w.control_word("secondary", *c.secondary, c.line);
  }
  if (c.tertiary) w.control_word("tertiary", *c.tertiary, c.line);
  if (c.entry) w.control_word("entry", *c.entry, c.line);
  if (c.exit) w.control_word("exit", *c.exit, c.line);
  // A control set to 1 proves the capability that allows it.
  struct Cap {
    const char* control;
    const char* feature;
  };
  for (Cap cap : {Cap{"secondary.unrestricted_guest", "vmx.unrestricted_guest"}, Cap{"secondary.enable_ept", "vmx.ept"},
                  Cap{"primary.monitor_trap_flag", "vmx.mtf"}})
    if (w.has(cap.control) && w.get(cap.control) && !w.has(cap.feature) &&
        (secondary_active || std::string_view(cap.control).substr(0, 10) != "secondary."))
      w.inferred(cap.feature, 1, c.line, std::string(cap.control) + " = 1, which only a CPU with the capability allows");
}

}  // namespace vcpuspec::readers::vmcs

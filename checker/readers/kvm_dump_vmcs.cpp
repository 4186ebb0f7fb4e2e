// Linux dump_vmcs() (arch/x86/kvm/vmx/vmx.c), printed on a failed VM entry
// with kvm_intel.dump_invalid_vmcs=1. Layouts read:
// - before 5.12: "EFER =     0x...  PAT = 0x..." on one guest line (only when
//   a save/load EFER or PAT control is set), PinBased/CPUBased/SecondaryExec
//   on one control line;
// - 5.12 and later: a "VMCS %p, last attempted VM-entry on CPU %d" header,
//   "EFER= 0x... [(autoload)|(effective)]" and "PAT = 0x..." lines, the
//   control words spread over two lines with "0x", TertiaryExec, and in the
//   newest kernels SecondaryExitControls and event_data.
// dmesg timestamps, syslog prefixes and "kvm_intel: " are removed first.
// Guest segment lines: "CS:   sel=0x%04x, attr=0x%05x, limit=0x%08x, base=0x%016lx";
// GDTR/IDTR: "GDTR:                           limit=0x%08x, base=0x%016lx".
#include <optional>

#include "readers/dumps.hpp"
#include "readers/dump_text.hpp"
#include "readers/slot_writer.hpp"
#include "readers/vmcs_dump_common.hpp"

namespace vcpuspec::readers {

namespace {

using text::Line;
using text::Number;
using text::Scanner;

struct SegLine {
  const char* key;   // as printed, with the colon
  const char* slot;
  bool dtable;
};
constexpr SegLine kSegs[] = {{"CS:", "CS", false},   {"DS:", "DS", false},    {"SS:", "SS", false},
                             {"ES:", "ES", false},   {"FS:", "FS", false},    {"GS:", "GS", false},
                             {"GDTR:", "GDTR", true}, {"LDTR:", "LDTR", false}, {"IDTR:", "IDTR", true},
                             {"TR:", "TR", false}};

bool starts_record(std::string_view t) {
  static const char* keys[] = {"VMCS ",          "***",        "CR0:",       "CR4:",       "CR3 =",     "PDPTR0", "PDPTR2",
                               "RSP =",          "RIP =",      "RFLAGS=",    "Sysenter",   "CS:",       "DS:",
                               "SS:",            "ES:",        "FS:",        "GS:",        "GDTR:",     "LDTR:",
                               "IDTR:",          "TR:",        "EFER",       "PAT =",      "DebugCtl",  "PerfGlobCtl",
                               "BndCfgS",        "PKRS",       "Interruptibility", "InterruptStatus", "MSR ", "S_CET",
                               "CS=",            "FSBase=",    "GDTBase=",   "CR0=",       "PinBased=", "CPUBased=",
                               "EntryControls=", "ExitControls=", "ExceptionBitmap=", "VMEntry:", "VMExit:", "reason=",
                               "IDTVectoring:",  "TSC ",       "SVI|RVI",    "TPR ",       "APIC-access", "virt-APIC",
                               "PostedIntrVec",  "EPT pointer", "PLE Gap",   "Virtual processor", "FRED", "RSP0",
                               "RSP2"};
  std::string_view s = text::trim_view(t);
  for (const char* k : keys)
    if (text::starts_with(s, k)) return true;
  return s.size() > 3 && s[0] >= '0' && s[0] <= '9' && s.find(": msr=") != std::string::npos;
}

bool complete(std::string_view t) {
  std::string_view s = text::trim_view(t);
  Line l{0, s, {}};
  Scanner sc(l);
  auto ends_with_hex = [&](const char* key, std::initializer_list<unsigned> w) {
    size_t at = sc.find_key(key);
    return at != std::string::npos && sc.hex(at + std::string_view(key).size(), w).ok;
  };
  for (const SegLine& g : kSegs)
    if (text::starts_with(s, g.key)) return ends_with_hex("base=", {16});
  if (text::starts_with(s, "***")) return s.size() > 6 && s.substr(s.size() - 3) == "***";  // "*** Guest State ***"
  if (text::starts_with(s, "CR0:") || text::starts_with(s, "CR4:")) return ends_with_hex("gh_mask=", {16});
  if (text::starts_with(s, "RSP =")) return s.find("RIP =") != std::string::npos && ends_with_hex("RIP = ", {16});
  if (text::starts_with(s, "RFLAGS=")) return ends_with_hex("DR7 = ", {16});
  if (text::starts_with(s, "Sysenter")) return s.find("CS:RIP=") != std::string::npos && s.size() >= s.find("CS:RIP=") + 7 + 21;
  if (text::starts_with(s, "Interruptibility")) return ends_with_hex("ActivityState = ", {8});
  if (text::starts_with(s, "DebugCtl")) return ends_with_hex("DebugExceptions = ", {16});
  if (text::starts_with(s, "VMEntry:")) return ends_with_hex("ilen=", {8});
  if (text::starts_with(s, "CR3 =")) return ends_with_hex("CR3 = ", {16});
  if (text::starts_with(s, "PDPTR0")) return ends_with_hex("PDPTR1 = ", {16});
  if (text::starts_with(s, "PDPTR2")) return ends_with_hex("PDPTR3 = ", {16});
  if (text::starts_with(s, "APIC-access") && s.find("virt-APIC") != std::string::npos)
    return ends_with_hex("virt-APIC addr = ", {16});
  // Before 5.12 "EFER =     0x...  PAT = 0x..."; later EFER stands alone.
  if (text::starts_with(s, "EFER") && s.find("PAT") != std::string::npos) return ends_with_hex("PAT = ", {16});
  // The host-state lines.
  return text::last_field_complete(s, {{"RIP =", "RSP = ", {16}},     {"CS=", "TR=", {4}},
                                       {"FSBase=", "TRBase=", {16}}, {"GDTBase=", "IDTBase=", {16}},
                                       {"CR0=", "CR4=", {16}}});
}

class VmcsReader {
 public:
  VmcsReader(const std::string& file, Slots slots, const ReadOptions& o) : file_(file), slots_(slots), opts_(o) {}

  ReadResult run(std::string_view input) {
    text::Lines lines = text::clean_lines(input, opts_.first_line);
    text::join_wrapped(lines, starts_record, complete);
    for (Line& l : lines) {
      text::trim_line(l);
      line(l);
    }
    close();
    if (dumps_.empty())
      return ReadError{file_, 1, 1, "no dump_vmcs output found (expected '*** Guest State ***' and lines such as 'CR0: actual=...')"};
    for (size_t i = 0; i < dumps_.size(); ++i) {
      StateInput& in = dumps_[i];
      if (dumps_.size() > 1) in.part = "dump " + std::to_string(i + 1) + (in.part.empty() ? "" : ", " + in.part);
      lines.annotate(in.notes);
    }
    return std::move(dumps_);
  }

 private:
  void open(const std::string& part) {
    close();
    cur_.emplace();
    cur_->file = file_;
    cur_->part = part;
    cur_->format = "kvm-vmcs";
    cur_->flavor = "vmx";
    cur_->flavor_origin = Origin::Inferred;
    cur_->flavor_why = "a dump_vmcs() VMCS dump";
    cur_->vendor = "intel";
    cur_->vendor_origin = Origin::Inferred;
    w_.emplace(slots_, *cur_);
    words_ = {};
    section_ = vmcs::Section::None;
    any_ = false;
    seen_guest_ = false;
  }

  void close() {
    if (!cur_) return;
    if (any_) {
      vmcs::apply_controls(words_, *w_);
      finish_input(*cur_, slots_, opts_);
      dumps_.push_back(std::move(*cur_));
    }
    w_.reset();
    cur_.reset();
  }

  void line(const Line& l) {
    std::string_view t = l.text;
    if (text::starts_with(t, "VMCS ") && t.find("last attempted VM-entry on CPU") != std::string::npos) {
      size_t at = t.rfind("CPU ");
      open("VM-entry on CPU " + text::trim(std::string_view(t).substr(at + 4)));
      return;
    }
    if (auto s = vmcs::section_header(t)) {
      if (*s == vmcs::Section::Guest) {
        if (!cur_ || seen_guest_) open(cur_ && !seen_guest_ ? cur_->part : "");
        seen_guest_ = true;
      }
      if (!cur_) open("");
      section_ = *s;
      return;
    }
    if (!cur_ || section_ == vmcs::Section::None) {
      // A dump cut before its header, or a paste that left the header out
      // after "VMCS ..., last attempted VM-entry": lines printed only in
      // one section still say something.
      vmcs::Section s = vmcs::section_of(t);
      if (s == vmcs::Section::None || (cur_ && seen_guest_)) return;
      if (!cur_) open("");
      section_ = s;
      seen_guest_ = s == vmcs::Section::Guest;
      cur_->notes.push_back({l.no, vmcs::headerless_note(s)});
    }
    SlotWriter& w = *w_;
    switch (section_) {
      case vmcs::Section::Guest:
        if (vmcs::guest_line(l, w) || segment(l, w) || efer(l, w)) any_ = true;
        break;
      case vmcs::Section::Host:
        if (vmcs::host_line(l, w)) any_ = true;
        break;
      case vmcs::Section::Control:
        if (vmcs::control_line(l, w, words_)) any_ = true;
        break;
      case vmcs::Section::None:
        break;
    }
  }

  bool segment(const Line& l, SlotWriter& w) {
    std::string_view t = l.text;
    for (const SegLine& g : kSegs) {
      if (!text::starts_with(t, g.key)) continue;
      Scanner sc(l);
      std::string s = g.slot;
      auto take = [&](const char* key, const std::string& slot, std::initializer_list<unsigned> widths, uint64_t (*conv)(uint64_t)) {
        size_t at = sc.find_key(key);
        if (at == std::string::npos) {
          w.unreadable(slot, l.no, std::string("no ") + key + " on the line (cut short)");
          return;
        }
        Number n = sc.hex(at + std::string_view(key).size(), widths);
        if (n.ok && conv) n.value = conv(n.value);
        w.take(slot, n, l.no);
      };
      if (!g.dtable) {
        take("sel=", s + ".sel", {4}, nullptr);
        take("attr=", s + ".ar", {5}, nullptr);  // GUEST_*_AR_BYTES: already the VMX layout
      }
      take("limit=", s + ".limit", {8}, nullptr);
      take("base=", s + ".base", {16}, nullptr);
      return true;
    }
    return false;
  }

  bool efer(const Line& l, SlotWriter& w) {
    std::string_view t = l.text;
    if (!text::starts_with(t, "EFER")) return false;
    Scanner sc(l);
    size_t eq = t.find('=');
    if (eq == std::string::npos) return true;
    Number n = sc.hex(eq + 1, {16});
    w.take("EFER", n, l.no);
    if (n.ok && t.find("(effective)") != std::string::npos) {
      w.note(l.no, "EFER (effective) is KVM's computed guest EFER, not a VMCS field: VM_ENTRY_LOAD_IA32_EFER is 0, "
                   "so the CPU keeps the host's EFER apart from LMA/LME");
      w.effective("EFER");
    }
    if (n.ok && t.find("(autoload)") != std::string::npos)
      w.note(l.no, "EFER (autoload) comes from the VM-entry MSR-load list, not the VMCS guest EFER field");
    size_t pat = sc.find_key("PAT");
    if (pat != std::string::npos) {
      size_t peq = t.find('=', pat);
      if (peq != std::string::npos) w.take("PAT", sc.hex(peq + 1, {16}), l.no);
    }
    return true;
  }

  std::string file_;
  Slots slots_;
  ReadOptions opts_;
  std::vector<StateInput> dumps_;
  std::optional<StateInput> cur_;
  std::optional<SlotWriter> w_;
  vmcs::ControlWords words_;
  vmcs::Section section_ = vmcs::Section::None;
  bool any_ = false, seen_guest_ = false;
};

}  // namespace

ReadResult read_kvm_vmcs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o) {
  return VmcsReader(file, slots, o).run(text);
}

}  // namespace vcpuspec::readers

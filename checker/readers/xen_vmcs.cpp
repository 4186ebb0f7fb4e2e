// Xen vmcs_dump_vcpu() (xen/arch/x86/hvm/vmx/vmcs.c), printed after
// "dNvM vmentry failure (reason 0x80000021): Invalid guest state (0)" or for
// every vCPU by the 'v' debug key (">>> Domain N <<<", "VCPU M"). Lines carry
// "(XEN) " and sometimes a timestamp; both are removed first. Differences from
// Linux's dump_vmcs: segments as columns under "       sel  attr  limit   base"
// ("  CS: 0010 0a09b ffffffff 0000000000000000"), GDTR/IDTR as
// "GDTR:            <limit> <base>", "RSP = 0x... (0x...)" with Xen's copy in
// parentheses, "EFER(VMCS) = 0x...  PAT = 0x..." (older: "EFER = ..."), and
// "SM Base = 0x...".
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
  const char* key;
  const char* slot;
  bool dtable;
};
constexpr SegLine kSegs[] = {{"CS:", "CS", false},   {"DS:", "DS", false},    {"SS:", "SS", false},
                             {"ES:", "ES", false},   {"FS:", "FS", false},    {"GS:", "GS", false},
                             {"GDTR:", "GDTR", true}, {"LDTR:", "LDTR", false}, {"IDTR:", "IDTR", true},
                             {"TR:", "TR", false}};

bool starts_record(std::string_view t) {
  static const char* keys[] = {"***", "CR0:", "CR4:", "CR3 =", "PDPTE0", "PDPTE2", "RSP =", "RIP =", "RFLAGS=", "Sysenter",
                               "sel  attr", "CS:", "DS:", "SS:", "ES:", "FS:", "GS:", "GDTR:", "LDTR:", "IDTR:",
                               "TR:", "EFER", "PreemptionTimer", "DebugCtl", "PerfGlobCtl", "Interruptibility",
                               "InterruptStatus", "CS=", "FSBase=", "GDTBase=", "CR0=", "PinBased=", "EntryControls=",
                               "ExceptionBitmap=", "VMEntry:", "VMExit:", "reason=", "IDTVectoring:", "TSC ", "TPR ",
                               "EPT pointer", "CR3 target", "PLE Gap", "Virtual processor", ">>>", "VCPU"};
  std::string_view s = text::trim_view(t);
  for (const char* k : keys)
    if (text::starts_with(s, k)) return true;
  return s.find(" vmentry failure") != std::string::npos;
}

bool complete(std::string_view t) {
  std::string_view s = text::trim_view(t);
  Line l{0, s, {}};
  Scanner sc(l);
  for (const SegLine& g : kSegs)
    if (text::starts_with(s, g.key)) {
      size_t at = std::string_view(g.key).size();
      for (int f = 0; f < (g.dtable ? 2 : 4); ++f) {
        unsigned width = g.dtable ? (f == 0 ? 8 : 16) : (f == 0 ? 4 : f == 1 ? 5 : f == 2 ? 8 : 16);
        Number n = sc.hex(at, {width});
        if (!n.ok) return false;
        at = n.end;
      }
      return true;
    }
  if (text::starts_with(s, "***")) return s.size() > 6 && s.substr(s.size() - 3) == "***";  // "*** Guest State ***"
  // vmcs_dump_vcpu's multi-field lines, whole once their last field is.
  if (text::starts_with(s, "TPR Threshold") && s.find("PostedIntr") != std::string_view::npos)
    return text::last_field_complete(s, {{"TPR Threshold", "PostedIntrVec = ", {2}}});
  if (text::starts_with(s, "RSP =") || text::starts_with(s, "RFLAGS="))  // "RIP = 0x... (0x...)"
    return text::last_field_complete(s, {{"RSP =", "RIP = ", {16}}, {"RFLAGS=", "DR7 = ", {16}}}) &&
           (s.find('(', s.rfind(" = ")) == std::string::npos || s.back() == ')');
  return text::last_field_complete(
      s, {{"CR0:", "gh_mask=", {16}},          {"CR4:", "gh_mask=", {16}},          {"CR3 =", "CR3 = ", {16}},
          {"RIP =", "RSP = ", {16}},            {"EFER", "PAT = ", {16}},            {"PreemptionTimer", "SM Base = ", {8}},
          {"DebugCtl", "DebugExceptions = ", {16}}, {"Interruptibility", "ActivityState = ", {8}},
          {"CS=", "TR=", {4}},                  {"FSBase=", "TRBase=", {16}},        {"GDTBase=", "IDTBase=", {16}},
          {"CR0=", "CR4=", {16}},               {"Sysenter", ":", {16}},             {"EntryControls=", "ExitControls=", {8}},
          {"ExceptionBitmap=", "PFECmatch=", {8}}, {"VMEntry:", "ilen=", {8}},
          {"TSC Offset", "TSC Multiplier = ", {16}},  {"PDPTE0", "PDPTE1 = ", {16}},
          {"PDPTE2", "PDPTE3 = ", {16}},         {"Virtual processor", "VMfunc controls = ", {16}}});
}

class XenReader {
 public:
  XenReader(const std::string& file, Slots slots, const ReadOptions& o) : file_(file), slots_(slots), opts_(o) {}

  ReadResult run(std::string_view input) {
    text::Lines lines = text::clean_lines(input, opts_.first_line);
    text::join_wrapped(lines, starts_record, complete);
    for (Line& l : lines) {
      text::trim_line(l);
      line(l);
    }
    close();
    if (dumps_.empty())
      return ReadError{file_, 1, 1, "no Xen VMCS dump found (expected '*** Guest State ***' and lines such as 'CR0: actual=...')"};
    for (size_t i = 0; i < dumps_.size(); ++i) {
      StateInput& in = dumps_[i];
      if (dumps_.size() > 1 && in.part.empty()) in.part = "dump " + std::to_string(i + 1);
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
    cur_->format = "xen-vmcs";
    cur_->flavor = "vmx";
    cur_->flavor_origin = Origin::Inferred;
    cur_->flavor_why = "a Xen vmcs_dump_vcpu() VMCS dump";
    cur_->vendor = "intel";
    cur_->vendor_origin = Origin::Inferred;
    w_.emplace(slots_, *cur_);
    words_ = {};
    section_ = vmcs::Section::None;
    any_ = false;
    seen_guest_ = false;
    for (ReaderNote& n : pending_notes_) cur_->notes.push_back(std::move(n));
    pending_notes_.clear();
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

  // "d12v0 vmentry failure (reason 0x80000021): Invalid guest state (0)"
  bool failure_header(const Line& l) {
    std::string_view t = l.text;
    size_t at = t.find(" vmentry failure");
    if (t.empty() || t[0] != 'd' || at == std::string::npos) return false;
    next_part_ = t.substr(0, at);
    pending_notes_.push_back({l.no, text::trim(t)});
    close();
    return true;
  }

  void line(const Line& l) {
    std::string_view t = l.text;
    if (failure_header(l)) return;
    // ">>> Domain 3 <<<" (the leading ">>>" may have gone with e-mail quoting).
    if (size_t d = t.find("Domain "); d != std::string::npos && t.find("<<<") != std::string::npos) {
      domain_ = text::trim(std::string_view(t).substr(d + 7));
      if (size_t e = domain_.find(' '); e != std::string::npos) domain_.resize(e);
      return;
    }
    if (text::starts_with(t, "VCPU ")) {
      next_part_ = "d" + domain_ + "v" + text::trim(std::string_view(t).substr(5));
      close();
      return;
    }
    if (auto s = vmcs::section_header(t)) {
      if (*s == vmcs::Section::Guest) {
        if (!cur_ || seen_guest_) {
          open(next_part_);
          next_part_.clear();
        }
        seen_guest_ = true;
      }
      if (!cur_) open(next_part_);
      section_ = *s;
      return;
    }
    if (!cur_ || section_ == vmcs::Section::None) {
      // A paste that starts at the failure line and leaves out the section
      // header: lines printed only in one section still say something.
      vmcs::Section s = vmcs::section_of(t);
      if (s == vmcs::Section::None || (cur_ && seen_guest_)) return;
      if (!cur_) open(next_part_);
      next_part_.clear();
      section_ = s;
      seen_guest_ = s == vmcs::Section::Guest;
      cur_->notes.push_back({l.no, vmcs::headerless_note(s)});
    }
    SlotWriter& w = *w_;
    switch (section_) {
      case vmcs::Section::Guest:
        if (vmcs::guest_line(l, w) || segment(l, w) || guest_extra(l, w)) any_ = true;
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
      size_t at = std::string_view(g.key).size();
      struct Col {
        const char* member;
        unsigned width;
      };
      std::vector<Col> cols = g.dtable ? std::vector<Col>{{".limit", 8}, {".base", 16}}
                                       : std::vector<Col>{{".sel", 4}, {".ar", 5}, {".limit", 8}, {".base", 16}};
      bool broken = false;
      for (const Col& c : cols) {
        if (broken) {
          w.unreadable(s + c.member, l.no, "a column before it is unreadable");
          continue;
        }
        Number n = sc.hex(at, {c.width});
        w.take(s + c.member, n, l.no);
        if (!n.ok) broken = true;
        else at = n.end;
      }
      return true;
    }
    return false;
  }

  bool guest_extra(const Line& l, SlotWriter& w) {
    std::string_view t = l.text;
    Scanner sc(l);
    if (text::starts_with(t, "EFER")) {
      size_t eq = t.find('=');
      if (eq != std::string::npos) w.take("EFER", sc.hex(eq + 1, {16}), l.no);
      if (t.find("MSR LL") != std::string::npos)
        w.note(l.no, "EFER(MSR LL) comes from Xen's guest load-only MSR list, not a VMCS field (no load-EFER support)");
      size_t pat = sc.find_key("PAT");
      if (pat != std::string::npos) {
        size_t peq = t.find('=', pat);
        if (peq != std::string::npos) w.take("PAT", sc.hex(peq + 1, {16}), l.no);
      }
      return true;
    }
    if (text::starts_with(t, "PreemptionTimer")) {
      size_t at = sc.find_key("SM Base");
      if (at != std::string::npos) {
        size_t eq = t.find('=', at);
        if (eq != std::string::npos) w.take("SMBASE", sc.hex(eq + 1, {8}), l.no);
      }
      return true;
    }
    return false;
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
  std::string domain_, next_part_;
  std::vector<ReaderNote> pending_notes_;
};

}  // namespace

ReadResult read_xen_vmcs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o) {
  return XenReader(file, slots, o).run(text);
}

}  // namespace vcpuspec::readers

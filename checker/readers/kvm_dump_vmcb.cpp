// Linux dump_vmcb() (arch/x86/kvm/svm/svm.c), printed on SVM_EXIT_ERR with
// kvm_amd.dump_invalid_vmcb=1, and in old kernels after
// "KVM: FAILED VMRUN WITH VMCB:". Layouts read:
// - "VMCB Control Area:": "%-20s" keys such as "cr_read:", "intercepts:",
//   "asid:"; intercepts as one 64-bit word (before 5.10: VMCB words 3 and 4,
//   offsets 00Ch and 010h) or as two 32-bit words; asid, tlb_ctl,
//   nested_ctl and virt_ext in decimal, the rest in hex without "0x";
// - "VMCB State Save Area:": "es:   s: %04x a: %04x l: %08x b: %016llx" per
//   segment, "cpl: ... efer: ..." (newer: "vmpl: ..."), and "%-15s %016llx
//   %-13s %016llx" pairs (cr0/cr2, ..., gpat/dbgctl).
// Segment attrib (VMCB 12-bit layout) becomes VMX access rights; g_pat is PAT.
#include <map>
#include <optional>

#include "readers/dumps.hpp"
#include "readers/dump_text.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

namespace {

using text::Line;
using text::Number;
using text::Scanner;

struct Pair {
  const char* key;
  const char* slot;  // nullptr: shown, not in the spec
};
constexpr Pair kSavePairs[] = {{"cr0:", "CR0"},       {"cr2:", "CR2"},       {"cr3:", "CR3"},
                               {"cr4:", "CR4"},       {"dr6:", "DR6"},       {"dr7:", "DR7"},
                               {"rip:", "RIP"},       {"rflags:", "RFLAGS"}, {"rsp:", "RSP"},
                               {"rax:", "RAX"},       {"star:", "STAR"},    {"lstar:", "LSTAR"},
                               {"cstar:", "CSTAR"},   {"sfmask:", "FMASK"},  {"kernel_gs_base:", "KERNEL_GS_BASE"},
                               {"sysenter_cs:", "SYSENTER_CS"}, {"sysenter_esp:", "SYSENTER_ESP"},
                               {"sysenter_eip:", "SYSENTER_EIP"}, {"gpat:", "PAT"}, {"dbgctl:", "DEBUGCTL"},
                               {"br_from:", nullptr}, {"br_to:", nullptr},   {"excp_from:", nullptr},
                               {"excp_to:", nullptr}};

struct Seg {
  const char* key;
  const char* slot;
  bool dtable;
};
constexpr Seg kSegs[] = {{"es:", "ES", false},    {"cs:", "CS", false},     {"ss:", "SS", false},
                         {"ds:", "DS", false},    {"fs:", "FS", false},     {"gs:", "GS", false},
                         {"gdtr:", "GDTR", true}, {"ldtr:", "LDTR", false}, {"idtr:", "IDTR", true},
                         {"tr:", "TR", false}};

// Control-area keys: the spec control or the VMCB word they fill, and whether
// the value is printed in decimal.
struct Ctl {
  const char* key;
  const char* slot;
  bool decimal;
};
constexpr Ctl kCtls[] = {{"iopm_base_pa:", "iopm_base_pa", false}, {"msrpm_base_pa:", "msrpm_base_pa", false},
                         {"asid:", "asid", true},                  {"tlb_ctl:", "tlb_ctl", true},
                         {"int_ctl:", "int_ctl", false},           {"nested_cr3:", "nested_cr3", false}};

bool starts_record(std::string_view t) {
  std::string_view s = text::trim_view(t);
  if (text::starts_with(s, "VMCB ") || text::starts_with(s, "KVM: FAILED VMRUN")) return true;
  if (text::starts_with(s, "efer:")) return false;  // only ever after "cpl: N" on its line
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon > 24) return false;
  for (char c : s.substr(0, colon))
    if (!((c >= 'a' && c <= 'z') || c == '_' || c == ' ' || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool complete(std::string_view t) {
  std::string_view s = text::trim_view(t);
  Line l{0, s, {}};
  Scanner sc(l);
  // Headers end in ':' and hold no value ("VMCB State Save Area:").
  if (text::starts_with(s, "VMCB ") || text::starts_with(s, "KVM: FAILED VMRUN")) return true;
  for (const Seg& g : kSegs)
    if (text::starts_with(s, g.key)) {
      size_t at = sc.find_key("b:");
      return at != std::string::npos && sc.hex(at + 2, {16}).ok;
    }
  for (const Pair& p : kSavePairs)
    if (text::starts_with(s, p.key)) {
      // The second key of the pair, then its value.
      size_t first_end = sc.hex(std::string_view(p.key).size(), {16}).end;
      size_t colon = s.find(':', first_end);
      return colon != std::string::npos && sc.hex(colon + 1, {16}).ok;
    }
  if (text::starts_with(s, "intercepts:")) {  // one 16-digit word, or two of 8
    Number a = sc.hex(11, {8, 16});
    return a.ok && (a.digits == 16 || sc.hex(a.end, {8}).ok);
  }
  if (text::starts_with(s, "cpl:") || text::starts_with(s, "vmpl:")) {
    size_t at = sc.find_key("efer:");
    return at != std::string::npos && sc.hex(at + 5, {16}).ok;
  }
  size_t colon = s.find(':');
  if (colon != std::string::npos && colon + 1 < s.size()) return true;
  return colon == std::string::npos;
}

enum class Area { None, Control, Save };

// The area only `t`'s key is printed in, for a dump whose headers were elided.
Area area_key(std::string_view t) {
  for (std::string_view k : {"cr_read:", "cr_write:", "dr_read:", "dr_write:", "exceptions:", "intercepts:",
                             "iopm_base_pa:", "msrpm_base_pa:", "tsc_offset:", "asid:", "tlb_ctl:", "int_ctl:",
                             "int_vector:", "int_state:", "exit_code:", "exit_info1:", "exit_info2:", "exit_int_info:",
                             "nested_ctl:", "nested_cr3:", "event_inj:", "virt_ext:"})
    if (text::starts_with(t, k)) return Area::Control;
  for (std::string_view k : {"cpl:", "vmpl:", "es:", "cs:", "ss:", "ds:", "fs:", "gs:", "gdtr:", "ldtr:", "idtr:", "tr:",
                             "cr0:", "cr3:", "dr6:", "rip:", "rsp:", "rax:", "star:", "cstar:", "kernel_gs_base:",
                             "sysenter_cs:", "gpat:", "g_pat:"})
    if (text::starts_with(t, k)) return Area::Save;
  return Area::None;
}

class VmcbReader {
 public:
  VmcbReader(const std::string& file, Slots slots, const ReadOptions& o) : file_(file), slots_(slots), opts_(o) {}

  ReadResult run(std::string_view input) {
    text::Lines lines = text::clean_lines(input, opts_.first_line);
    text::join_wrapped(lines, starts_record, complete);
    for (Line& l : lines) {
      text::trim_line(l);
      line(l);
    }
    close();
    if (dumps_.empty())
      return ReadError{file_, 1, 1, "no dump_vmcb output found (expected 'VMCB Control Area:' or 'VMCB State Save Area:')"};
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
    cur_->format = "kvm-vmcb";
    cur_->flavor = "svm";
    cur_->flavor_origin = Origin::Inferred;
    cur_->flavor_why = "a dump_vmcb() VMCB dump";
    cur_->vendor = "amd";
    cur_->vendor_origin = Origin::Inferred;
    w_.emplace(slots_, *cur_);
    words_.clear();
    event_inj_.reset();
    event_inj_err_.reset();
    area_ = Area::None;
    any_ = seen_control_ = seen_save_ = false;
    for (ReaderNote& n : pending_notes_) cur_->notes.push_back(std::move(n));
    pending_notes_.clear();
  }

  void close() {
    if (!cur_) return;
    if (any_) {
      finish_controls();
      // Without NPT KVM forces CR0.PG (and WP) in the VMCB (svm_set_cr0):
      // a real-mode guest runs in paged real mode, which the save area shows.
      long cr0 = find_slot(slots_, "CR0");
      if (cr0 >= 0 && w_->has(cr0) && (w_->get(cr0) & 0x80000001) == 0x80000000)
        cur_->notes.push_back({0, "CR0.PG=1 with PE=0 in the VMCB is paged real mode: without nested paging KVM sets PG and "
                                  "WP in the VMCB's CR0 (Linux arch/x86/kvm/svm/svm.c svm_set_cr0 at v7.1.3), so the guest's "
                                  "own CR0 may have PG=0; the ARCH checks judge the VMCB's value"});
      finish_input(*cur_, slots_, opts_);
      dumps_.push_back(std::move(*cur_));
    }
    w_.reset();
    cur_.reset();
  }

  void line(const Line& l) {
    std::string_view t = l.text;
    if (text::starts_with(t, "KVM: FAILED VMRUN WITH VMCB")) {
      close();
      pending_notes_.push_back({l.no, "KVM: FAILED VMRUN WITH VMCB: VMRUN failed its consistency checks (VMEXIT_INVALID)"});
      next_part_.clear();
      area_ = Area::None;
      return;
    }
    if (text::starts_with(t, "VMCB ") && t.find("last attempted VMRUN on CPU") != std::string::npos) {
      close();
      next_part_ = "VMRUN on CPU " + text::trim(std::string_view(t).substr(t.rfind("CPU ") + 4));
      return;
    }
    if (text::starts_with(t, "VMCB Control Area:")) {
      if (!cur_ || seen_control_ || seen_save_) open(next_part_);
      next_part_.clear();
      seen_control_ = true;
      area_ = Area::Control;
      return;
    }
    if (text::starts_with(t, "VMCB State Save Area:")) {
      if (!cur_ || seen_save_) open(next_part_);
      next_part_.clear();
      seen_save_ = true;
      area_ = Area::Save;
      return;
    }
    if (area_ == Area::None) {
      // A dump whose area headers were elided ("KVM: FAILED VMRUN WITH
      // VMCB:", "[...]", "cpl: 0 efer: ..."): keys printed in only one area
      // say which.
      Area a = area_key(t);
      if (a == Area::None) return;
      if (!cur_) open(next_part_);
      next_part_.clear();
      area_ = a;
      (a == Area::Save ? seen_save_ : seen_control_) = true;
      cur_->notes.push_back({l.no, std::string("no '") + (a == Area::Save ? "VMCB State Save Area:" : "VMCB Control Area:") +
                                       "' header before this line (elided?): read as that area"});
    }
    if (!cur_) return;
    if (area_ == Area::Control) control(l);
    if (area_ == Area::Save) save(l);
  }

  // The value after "key:"; hex unless `decimal`.
  Number value(const Scanner& sc, size_t key_end, bool decimal) const {
    return decimal ? sc.dec(key_end) : sc.hex(key_end);
  }

  void control(const Line& l) {
    std::string_view t = l.text;
    Scanner sc(l);
    SlotWriter& w = *w_;
    auto word16 = [&](const char* key, unsigned offset, unsigned shift) {
      if (!text::starts_with(t, key)) return false;
      any_ = true;
      Number n = sc.hex(std::string_view(key).size(), {4});
      if (!n.ok) w.note(l.no, std::string(key) + " unreadable (" + n.why + ")");
      else put(offset, n.value << shift, 0xffffull << shift);
      return true;
    };
    if (word16("cr_read:", 0x00, 0) || word16("cr_write:", 0x00, 16) || word16("dr_read:", 0x04, 0) ||
        word16("dr_write:", 0x04, 16))
      return;
    if (text::starts_with(t, "exceptions:")) {
      any_ = true;
      Number n = sc.hex(11, {8});
      if (n.ok) put(0x08, n.value, 0xffffffff);
      return;
    }
    if (text::starts_with(t, "intercepts:")) {
      any_ = true;
      Number a = sc.hex(11, {8, 16});
      if (a.ok && a.digits == 16) {  // before 5.10: one u64, word 3 low, word 4 high
        put(0x0C, a.value & 0xffffffff, 0xffffffff);
        put(0x10, a.value >> 32, 0xffffffff);
        return;
      }
      Number b = a.ok ? sc.hex(a.end, {8}) : Number{};
      if (a.ok) put(0x0C, a.value, 0xffffffff);
      if (b.ok) put(0x10, b.value, 0xffffffff);
      if (!a.ok || !b.ok) w.note(l.no, "intercepts unreadable (" + (a.ok ? b.why : a.why) + ")");
      return;
    }
    for (const Ctl& c : kCtls)
      if (text::starts_with(t, c.key)) {
        any_ = true;
        w.take(c.slot, value(sc, std::string_view(c.key).size(), c.decimal), l.no);
        return;
      }
    if (text::starts_with(t, "nested_ctl:")) {
      any_ = true;
      Number n = sc.dec(11);
      if (n.ok) put(0x90, n.value & 0xffffffff, 0xffffffff);
      else w.note(l.no, "nested_ctl unreadable (" + n.why + "): np_enable stays missing");
      return;
    }
    if (text::starts_with(t, "event_inj:") || text::starts_with(t, "event_inj_err:")) {
      any_ = true;
      bool err = t[9] == '_';
      Number n = sc.hex(err ? 14 : 10, {8});
      std::optional<uint64_t>& dst = err ? event_inj_err_ : event_inj_;
      if (n.ok) dst = n.value;
      else w.unreadable("event_inj", l.no, (err ? "event_inj_err: " : "event_inj: ") + n.why);
      return;
    }
    if (text::starts_with(t, "exit_code:")) {
      Number n = sc.hex(10, {8});
      if (n.ok && n.value == 0xffffffff) w.note(l.no, "exit_code ffffffff: VMEXIT_INVALID, VMRUN failed a consistency check (APM Vol.2 15.5.1)");
      return;
    }
  }

  void finish_controls() {
    SlotWriter& w = *w_;
    // A word is split only when every bit of it was shown (cr_read and cr_write are its halves).
    for (const auto& [offset, word] : words_)
      if (word.second == 0xffffffff) w.vmcb_word(offset, word.first, 0);
    if (event_inj_ && event_inj_err_) w.given("event_inj", *event_inj_ | (*event_inj_err_ << 32), 0);
    else if (event_inj_ || event_inj_err_)
      w.note(0, "EVENTINJ needs both event_inj and event_inj_err; only one is shown, so event_inj stays missing");
    if (w.has("np_enable") && w.get("np_enable") && !w.has("svm.npt"))
      w.inferred("svm.npt", 1, 0, "np_enable = 1, which VMRUN only accepts with nested paging available");
  }

  void put(unsigned offset, uint64_t value, uint64_t mask) {
    auto& [v, m] = words_[offset];
    v |= value & mask;
    m |= mask;
  }

  void save(const Line& l) {
    std::string_view t = l.text;
    Scanner sc(l);
    SlotWriter& w = *w_;
    for (const Seg& g : kSegs) {
      if (!text::starts_with(t, g.key)) continue;
      any_ = true;
      std::string s = g.slot;
      auto col = [&](const char* key, unsigned width) {
        size_t at = sc.find_key(key);
        if (at == std::string::npos) return Number{false, 0, 0, 0, std::string("no ") + key + " column (cut short)"};
        return sc.hex(at + 2, {width});
      };
      if (!g.dtable) {
        w.take(s + ".sel", col("s:", 4), l.no);
        Number a = col("a:", 4);
        if (a.ok) a.value = ar_from_vmcb_attrib(a.value);
        w.take(s + ".ar", a, l.no);
      }
      w.take(s + ".limit", col("l:", 8), l.no);
      w.take(s + ".base", col("b:", 16), l.no);
      return;
    }
    if (text::starts_with(t, "cpl:") || text::starts_with(t, "vmpl:")) {
      any_ = true;
      size_t at = sc.find_key("efer:");
      if (at != std::string::npos) w.take("EFER", sc.hex(at + 5, {16}), l.no);
      return;
    }
    for (const Pair& p : kSavePairs) {
      if (!text::starts_with(t, p.key)) continue;
      any_ = true;
      Number first = sc.hex(std::string_view(p.key).size(), {16});
      if (p.slot) w.take(p.slot, first, l.no);
      // The second key and value of the line.
      for (const Pair& q : kSavePairs) {
        size_t at = sc.find_key(q.key, first.end);
        if (at == std::string::npos || at == 0) continue;
        if (q.slot) w.take(q.slot, sc.hex(at + std::string_view(q.key).size(), {16}), l.no);
        break;
      }
      return;
    }
  }

  std::string file_;
  Slots slots_;
  ReadOptions opts_;
  std::vector<StateInput> dumps_;
  std::optional<StateInput> cur_;
  std::optional<SlotWriter> w_;
  std::map<unsigned, std::pair<uint64_t, uint64_t>> words_;  // VMCB offset -> (value, bits shown)
  std::optional<uint64_t> event_inj_, event_inj_err_;
  Area area_ = Area::None;
  bool any_ = false, seen_control_ = false, seen_save_ = false;
  std::string next_part_;
  std::vector<ReaderNote> pending_notes_;
};

}  // namespace

ReadResult read_kvm_vmcb(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o) {
  return VmcbReader(file, slots, o).run(text);
}

}  // namespace vcpuspec::readers

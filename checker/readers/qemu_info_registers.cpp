// QEMU `info registers` (HMP, `-a` for every vCPU) and cpu_dump_state() as
// QEMU prints it on "KVM: entry failed" and "KVM internal error"
// (target/i386/cpu-dump.c x86_cpu_dump_state, cpu_x86_dump_seg_cache;
// accel/kvm/kvm-all.c). Two layouts: 64-bit code (RAX=, %016 values) and the
// rest (EAX=, %08x), with GDT/IDT/CR2/CR3 in 64-bit width whenever EFER.LMA.
//
// What the dump does not show stays missing: MSRs other than EFER, XCR0,
// activity and interruptibility state. Values QEMU prints cast to 32 bits
// (the 32-bit layout of qemu-system-x86_64, and CR4 always) have their upper
// half inferred as 0, and the report says so.
#include <array>
#include <iterator>
#include <optional>

#include "runtime/check.hpp"
#include "readers/dumps.hpp"
#include "readers/dump_text.hpp"
#include "readers/kvm_view.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

namespace {

using text::Line;
using text::Number;
using text::Scanner;

// Every field the reader fills, in one table so that each is found in the
// spec's slots once per table (slot_ids), not once per dump.
enum Field : int {
  kRAX, kRBX, kRCX, kRDX, kRSI, kRDI, kRBP, kRSP, kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
  kRIP, kRFLAGS,
  kSegFields,  // 8 segments (kSegKeys order) x {sel, base, limit, ar}
  kGDTRbase = kSegFields + 32, kGDTRlimit, kIDTRbase, kIDTRlimit,
  kCR0, kCR2, kCR3, kCR4, kDR0, kDR1, kDR2, kDR3, kDR6, kDR7, kEFER, kSMM,
  kFCW, kFSW, kFTW, kMXCSR,
  kNumFields
};
constexpr std::string_view kFieldNames[] = {
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    "RIP", "RFLAGS",
    "ES.sel", "ES.base", "ES.limit", "ES.ar", "CS.sel", "CS.base", "CS.limit", "CS.ar",
    "SS.sel", "SS.base", "SS.limit", "SS.ar", "DS.sel", "DS.base", "DS.limit", "DS.ar",
    "FS.sel", "FS.base", "FS.limit", "FS.ar", "GS.sel", "GS.base", "GS.limit", "GS.ar",
    "LDTR.sel", "LDTR.base", "LDTR.limit", "LDTR.ar", "TR.sel", "TR.base", "TR.limit", "TR.ar",
    "GDTR.base", "GDTR.limit", "IDTR.base", "IDTR.limit",
    "CR0", "CR2", "CR3", "CR4", "DR0", "DR1", "DR2", "DR3", "DR6", "DR7", "EFER", "SMM",
    "FCW", "FSW", "FTW", "MXCSR"};
static_assert(std::size(kFieldNames) == kNumFields);

enum SegMember : int { kSel, kBase, kLimit, kAr };
constexpr int seg_field(size_t seg, SegMember m) { return kSegFields + static_cast<int>(seg) * 4 + m; }

struct GprLine {
  std::string_view keys[4];
  Field fields[4];
  bool wide;  // the 64-bit layout
};
constexpr GprLine kGprLines[] = {
    {{"RAX=", "RBX=", "RCX=", "RDX="}, {kRAX, kRBX, kRCX, kRDX}, true},
    {{"RSI=", "RDI=", "RBP=", "RSP="}, {kRSI, kRDI, kRBP, kRSP}, true},
    {{"R8 =", "R9 =", "R10=", "R11="}, {kR8, kR9, kR10, kR11}, true},
    {{"R12=", "R13=", "R14=", "R15="}, {kR12, kR13, kR14, kR15}, true},
    {{"EAX=", "EBX=", "ECX=", "EDX="}, {kRAX, kRBX, kRCX, kRDX}, false},
    {{"ESI=", "EDI=", "EBP=", "ESP="}, {kRSI, kRDI, kRBP, kRSP}, false},
};

// The lines cpu_dump_state always prints: one missing means the dump was cut short.
constexpr std::string_view kExpectedLines[] = {"EIP=", "RIP=", "CS =", "GDT=", "CR0=", "DR6=", "EFER="};
constexpr unsigned kDr6Line = 5, kEferLine = 6;  // kExpectedLines[5], [6]: the last of them

// The key a segment line starts with: "ES =", "LDT=", "TR =".
constexpr std::string_view kSegKeys[] = {"ES =", "CS =", "SS =", "DS =", "FS =", "GS =", "LDT=", "TR ="};


bool starts_record(std::string_view l) {
  // string_views: called two or three times per line, strlen of each key showed in profiles.
  static constexpr std::string_view keys[] = {
      "RAX=", "RSI=", "R8 =", "R12=", "R16=", "R20=", "R24=", "R28=", "RIP=", "EAX=", "ESI=", "EIP=", "ES =",
      "CS =", "SS =", "DS =", "FS =", "GS =", "LDT=", "TR =", "GDT=", "IDT=", "CR0=", "DR0=", "DR6=", "EFER=",
      "CCS=", "FCW=", "FPR", "XMM", "YMM", "ZMM", "Opmask", "Code=", "CPU#", "CPU Reset", "KVM", "extra data", "emulation failure"};
  // Bucketed by first byte: called on every line, once or twice.
  static const auto by_first = [] {
    std::array<std::vector<std::string_view>, 256> t;
    for (std::string_view k : keys) t[static_cast<unsigned char>(k[0])].push_back(k);
    return t;
  }();
  // An indented block whose wrapped lines lost the indentation keeps it on
  // the rest: blanks before a key count for nothing.
  while (!l.empty() && (l[0] == ' ' || l[0] == '\t')) l.remove_prefix(1);
  if (l.empty()) return false;
  for (std::string_view k : by_first[static_cast<unsigned char>(l[0])])
    if (text::starts_with(l, k)) return true;
  return false;
}

// A record line is complete when its last field is there at a full width.
bool complete(std::string_view l) {
  while (!l.empty() && (l[0] == ' ' || l[0] == '\t')) l.remove_prefix(1);
  Line line{0, l, {}};
  Scanner sc(line);
  auto last_ok = [&](std::string_view key, std::initializer_list<unsigned> w) {
    size_t at = sc.find_key(key);
    return at != std::string::npos && sc.hex(at + key.size(), w).ok;
  };
  for (const GprLine& g : kGprLines)
    if (text::starts_with(l, g.keys[0])) return last_ok(g.keys[3], {8, 16});
  if (text::starts_with(l, "RIP=") || text::starts_with(l, "EIP=")) return sc.find_key("HLT=") != std::string::npos;
  for (std::string_view key : kSegKeys)
    if (text::starts_with(l, key)) {
      size_t at = 4;
      for (int f = 0; f < 4; ++f) {
        Number n = sc.hex(at, f == 0 ? std::initializer_list<unsigned>{4} : std::initializer_list<unsigned>{8, 16});
        if (!n.ok) return false;
        at = n.end;
      }
      return true;
    }
  if (text::starts_with(l, "GDT=") || text::starts_with(l, "IDT=")) {
    Number b = sc.hex(4, {8, 16});
    return b.ok && sc.hex(b.end, {8}).ok;
  }
  if (text::starts_with(l, "CR0=")) return last_ok("CR4=", {8});
  if (text::starts_with(l, "DR0=")) {
    // One width for the four: a wrap that cuts DR3 to 8 of 16 digits must not look complete.
    Number dr0 = sc.hex(4, {8, 16});
    return dr0.ok && last_ok("DR3=", {dr0.digits});
  }
  if (text::starts_with(l, "DR6=")) return last_ok("DR7=", {8, 16});
  if (text::starts_with(l, "EFER=")) return last_ok("EFER=", {16});
  return true;
}

class QemuReader {
 public:
  QemuReader(const std::string& file, Slots slots, const ReadOptions& o)
      : file_(file), slots_(slots), opts_(o), ids_(slot_ids(slots, kFieldNames)) {}

  ReadResult run(std::string_view input) {
    text::Lines lines = text::clean_lines(input, opts_.first_line);
    // No tail of a cpu_dump_state line starts with a record's first key
    // ("DR3=", "R15=", "RFL=", "DPL=" are none): no record-looking tails.
    text::join_wrapped(lines, starts_record, complete, false);
    // Leading blanks go: a page's indentation that a wrap or a prefix left
    // on some lines of a block only.
    for (Line& l : lines) {
      if (!l.text.empty() && (l.text[0] == ' ' || l.text[0] == '\t')) text::trim_line(l);
      line(l);
    }
    close_block();
    if (blocks_.empty())
      return ReadError{file_, 1, 1,
                       "no QEMU register dump found (expected cpu_dump_state lines such as 'EAX=...' or 'RAX=...')"};
    for (size_t i = 0; i < blocks_.size(); ++i) {
      StateInput& in = blocks_[i];
      if (in.part.empty() && (blocks_.size() > 1 || opts_.piece)) in.part = "dump " + std::to_string(opts_.dumps_before + i + 1);
      lines.annotate(in.notes);
    }
    return std::move(blocks_);
  }

 private:
  struct Header {
    std::string flavor, flavor_why, vendor;
    std::vector<ReaderNote> notes;
  };

  void open_block(const std::string& part) {
    close_block();
    cur_.emplace();
    cur_->file = file_;
    cur_->part = part;
    cur_->format = "qemu";
    w_.emplace(slots_, *cur_);
    printed32_.clear();
    blank_cs_ = false;
    seen_ = 0;
    lma_layout_ = false;
    target64_ = false;
    target_known_ = false;
    has_gprs_ = false;
    any_ = false;
  }

  void close_block() {
    if (!cur_) return;
    if (any_) {
      finish_block();
      blocks_.push_back(std::move(*cur_));
    }
    w_.reset();
    cur_.reset();
  }

  void line(const Line& l) {
    std::string_view t = l.text;
    // Most lines of a log are not records: one table walk rejects them.
    if (!starts_record(t)) {
      if (!cur_ || !has_gprs_ || t.empty() || (t[0] != 'E' && t[0] != 'R')) return;
      if (const GprLine* g = moved_gprs(t)) gprs(l, nullptr, g->wide);
      return;
    }
    if (text::starts_with(t, "CPU#")) {
      open_block(text::trim(t));
      return;
    }
    if (text::starts_with(t, "CPU Reset")) {  // -d cpu_reset: "CPU Reset (CPU 0)"
      open_block(text::trim(t));
      cur_->notes.push_back({l.no, "QEMU's -d cpu_reset prints the state just before the reset it logs (x86_cpu_reset); the "
                                   "first of a run is QEMU's zeroed CPUState, which no CPU held"});
      return;
    }
    if (header(l)) return;
    for (const GprLine& g : kGprLines)
      if (text::starts_with(t, g.keys[0])) {
        // A second register block without a CPU# line is another dump.
        if (g.keys[0] == kGprLines[0].keys[0] || g.keys[0] == kGprLines[4].keys[0]) {
          if (!cur_ || has_gprs_) open_block(cur_ && !cur_->part.empty() && !has_gprs_ ? cur_->part : "");
          has_gprs_ = true;
        }
        ensure_block();
        gprs(l, &g, g.wide);
        return;
      }
    ensure_block();  // interleaved log lines and prompts are gone
    for (size_t k = 0; k < std::size(kExpectedLines); ++k)
      if (text::starts_with(t, kExpectedLines[k])) seen_ |= 1u << k;
    Scanner sc(l);
    if (text::starts_with(t, "RIP=") || text::starts_with(t, "EIP=")) {
      bool wide = t[0] == 'R';
      value(sc, l, wide ? "RIP=" : "EIP=", kRIP, wide ? 16 : 8, !wide);
      value(sc, l, wide ? "RFL=" : "EFL=", kRFLAGS, 8, false);  // RFLAGS 63:22 are reserved zeros
      flags(sc, l);
      return;
    }
    for (size_t s = 0; s < 8; ++s)
      if (text::starts_with(t, kSegKeys[s])) {
        segment(sc, l, s);
        return;
      }
    if (text::starts_with(t, "GDT=") || text::starts_with(t, "IDT=")) {
      bool gdt = t[0] == 'G';
      Number base = sc.hex(4, {8, 16});
      take_maybe32(gdt ? kGDTRbase : kIDTRbase, base, l.no);
      int limit = gdt ? kGDTRlimit : kIDTRlimit;
      if (base.ok || base.end > 4) w_->take(id(limit), sc.hex(base.end, {8}), l.no);
      else w_->unreadable(id(limit), l.no, "the base before it is unreadable");
      return;
    }
    if (text::starts_with(t, "CR0=")) {
      value(sc, l, "CR0=", kCR0, 8, false);  // CR0 63:32 are reserved zeros
      value_any(sc, l, "CR2=", kCR2);
      value_any(sc, l, "CR3=", kCR3);
      // CR4 is printed cast to 32 bits: bit 32 (FRED) is not shown.
      size_t at = sc.find_key("CR4=");
      if (at != std::string::npos) {
        Number n = sc.hex(at + 4, {8});
        if (n.ok) printed32_.push_back({kCR4, n.value, l.no, true});
        else w_->unreadable(id(kCR4), l.no, n.why);
      }
      return;
    }
    if (text::starts_with(t, "DR0=")) {
      // TARGET_FMT_lx: 16 digits from qemu-system-x86_64, 8 from qemu-system-i386, the same for all four.
      unsigned width = 0;
      static constexpr std::string_view keys[] = {"DR0=", "DR1=", "DR2=", "DR3="};
      for (int i = 0; i < 4; ++i) {
        size_t at = sc.find_key(keys[i]);
        if (at == std::string::npos) continue;
        Number n = width ? sc.hex(at + 4, {width}) : sc.hex(at + 4, {8, 16});
        if (n.ok && !width) {
          width = n.digits;
          target_known_ = true;
          target64_ = n.digits == 16;
        }
        w_->take(id(kDR0 + i), n, l.no);
      }
      // DR6 and DR7 re-wrapped onto this line by the poster ("DR3=... DR6=... DR7=...").
      if (sc.find_key("DR6=") != std::string::npos) {
        seen_ |= 1u << kDr6Line;
        dr6_dr7(sc, l);
      }
      return;
    }
    if (text::starts_with(t, "DR6=")) {
      dr6_dr7(sc, l);
      return;
    }
    if (text::starts_with(t, "EFER=")) {
      w_->take(id(kEFER), sc.hex(5, {16}), l.no);
      return;
    }
    // x86_cpu_dump_state with CPU_DUMP_FPU (`info registers`): the control
    // and status words, the abridged tag word (bit i set: register i valid)
    // and MXCSR. "KVM: entry failed" dumps do not print it.
    if (text::starts_with(t, "FCW=")) {
      value(sc, l, "FCW=", kFCW, 4, false);
      value(sc, l, "FSW=", kFSW, 4, false);
      value(sc, l, "FTW=", kFTW, 2, false);
      value(sc, l, "MXCSR=", kMXCSR, 8, false);
      return;
    }
  }

  // Lines QEMU prints before the dump; they say which hypervisor failed and how.
  bool header(const Line& l) {
    std::string_view t = l.text;
    bool is_header = text::starts_with(t, "KVM: entry failed, hardware error") || text::starts_with(t, "KVM internal error. Suberror:");
    // QEMU prints the header before the dump it explains: after a dump's
    // last line (EFER=) the header is the next dump's, and a new event.
    // Inside a dump it is another vCPU's, interleaved on stderr: noted once.
    if (is_header && cur_ && has_gprs_ && (seen_ >> kEferLine) & 1) {
      close_block();
      seen_internal_ = false;
    }
    if (text::starts_with(t, "KVM: entry failed, hardware error")) {
      Scanner sc(l);
      Number n = sc.hex(t.find("error") + 5);
      Header h;
      if (n.ok) {
        uint64_t code = n.value;
        std::string hex = rt::format_value(code, 64);
        if ((code & 0x80000000) && code <= 0xffffffff && code != 0xffffffff) {
          h.flavor = "vmx";
          h.vendor = "intel";
          h.flavor_why = "\"KVM: entry failed, hardware error " + hex + "\" is a VMX exit reason with bit 31 (VM-entry failure)";
          h.notes.push_back({l.no, "KVM: entry failed, hardware error " + hex + ": VM-entry failure, basic exit reason " +
                                       std::to_string(code & 0xffff) +
                                       ((code & 0xffff) == 33 ? " (invalid guest state, SDM Vol.3 27.8)" : "")});
        } else if (code == 0xffffffff || code == ~0ULL) {
          h.flavor = "svm";
          h.vendor = "amd";
          h.flavor_why = "\"KVM: entry failed, hardware error " + hex + "\" is SVM_EXIT_ERR (VMRUN consistency check failed)";
          h.notes.push_back({l.no, "KVM: entry failed, hardware error " + hex +
                                       ": VMEXIT_INVALID, a VMRUN consistency check failed (APM Vol.2 15.5.1)"});
        } else if (code >= 1 && code <= 28) {
          h.flavor = "vmx";
          h.vendor = "intel";
          h.flavor_why = "\"KVM: entry failed, hardware error " + hex + "\" is a VM-instruction error number";
          h.notes.push_back({l.no, "KVM: entry failed, hardware error " + hex + ": VM-instruction error " +
                                       std::to_string(code) +
                                       (code == 7   ? " (VM entry with invalid control fields)"
                                        : code == 8 ? " (VM entry with invalid host-state fields)"
                                                    : "")});
        } else {
          h.notes.push_back({l.no, "KVM: entry failed, hardware error " + hex + ": not a VMX exit reason or SVM_EXIT_ERR; flavor not inferred"});
        }
      }
      pending_ = std::move(h);
      if (cur_ && !has_gprs_) apply_header();
      return true;
    }
    if (text::starts_with(t, "KVM internal error. Suberror:")) {
      if (!seen_internal_) {
        Header h;
        std::string rest = text::trim(std::string_view(t).substr(29));
        h.notes.push_back({l.no, "KVM internal error, suberror " + rest +
                                     (rest == "1" ? " (emulation failure)" : rest == "2" ? " (simultaneous exceptions)" : rest == "3" ? " (delivery event)" : "") +
                                     ": the state is the one KVM could not emulate or deliver; no flavor implied"});
        pending_ = std::move(h);
        if (cur_ && !has_gprs_) apply_header();
      }
      seen_internal_ = true;
      return true;
    }
    return false;
  }

  void apply_header() {
    if (!pending_ || !cur_) return;
    if (!pending_->flavor.empty()) {
      cur_->flavor = pending_->flavor;
      cur_->flavor_origin = Origin::Inferred;
      cur_->flavor_why = pending_->flavor_why;
    }
    if (!pending_->vendor.empty()) {
      cur_->vendor = pending_->vendor;
      cur_->vendor_origin = Origin::Inferred;
    }
    for (const ReaderNote& n : pending_->notes) cur_->notes.push_back(n);
    pending_.reset();
  }

  void ensure_block() {
    if (!cur_) open_block("");
    apply_header();
  }

  // The registers of line `g` and any other register of its layout the
  // line holds: an author who re-wrapped the dump moved keys across QEMU's
  // lines ("EAX= EBX= ECX=" / "EDX= ESI= EDI=" / "EBP= ESP="). `g` null: a
  // line that starts inside a group (such a moved line); nothing is missing from it.
  void gprs(const Line& l, const GprLine* g, bool wide) {
    apply_header();
    Scanner sc(l);
    for (const GprLine& other : kGprLines) {
      if (other.wide != wide) continue;
      for (int i = 0; i < 4; ++i) {
        size_t at = sc.find_key(other.keys[i]);
        if (at == std::string::npos) {
          if (&other == g) w_->unreadable(id(g->fields[i]), l.no, "not on its line (cut short)");
          continue;
        }
        Number n = sc.hex(at + 4, {wide ? 16u : 8u});
        any_ = true;
        if (!n.ok) w_->unreadable(id(other.fields[i]), l.no, n.why);
        else if (wide) w_->given(id(other.fields[i]), n.value, l.no);
        else printed32_.push_back({other.fields[i], n.value, l.no, false});
      }
    }
  }

  // A line that starts with a register QEMU prints inside a group (EDX=,
  // RBP=): the previous line was complete, so the wrap was the author's.
  static const GprLine* moved_gprs(std::string_view t) {
    for (const GprLine& g : kGprLines)
      for (int i = 1; i < 4; ++i)
        if (text::starts_with(t, g.keys[i])) return &g;
    return nullptr;
  }

  void dr6_dr7(const Scanner& sc, const Line& l) {
    for (int f : {kDR6, kDR7}) {
      size_t at = sc.find_key(f == kDR6 ? "DR6=" : "DR7=");
      if (at != std::string::npos) w_->take(id(f), sc.hex(at + 4, {8, 16}), l.no);
    }
  }

  // KEY=value at a fixed width; `cast32`: QEMU printed it cast to 32 bits.
  void value(const Scanner& sc, const Line& l, std::string_view key, int slot, unsigned width, bool cast32) {
    size_t at = sc.find_key(key);
    if (at == std::string::npos) return;
    any_ = true;
    Number n = sc.hex(at + key.size(), {width});
    if (!n.ok) w_->unreadable(id(slot), l.no, n.why);
    else if (cast32) printed32_.push_back({slot, n.value, l.no, false});
    else w_->given(id(slot), n.value, l.no);
  }

  // CR2/CR3: 64-bit wide under EFER.LMA, else cast to 32 bits.
  void value_any(const Scanner& sc, const Line& l, std::string_view key, int slot) {
    size_t at = sc.find_key(key);
    if (at == std::string::npos) return;
    take_maybe32(slot, sc.hex(at + key.size(), {8, 16}), l.no);
  }

  void take_maybe32(int slot, const Number& n, uint32_t line) {
    any_ = true;
    // GDT/IDT/CR2/CR3 are printed 64-bit wide exactly when EFER.LMA is set.
    if (n.ok && (slot == kGDTRbase || slot == kIDTRbase || slot == kCR2 || slot == kCR3)) lma_layout_ = n.digits == 16;
    if (!n.ok) w_->unreadable(id(slot), line, n.why);
    else if (n.digits == 16) w_->given(id(slot), n.value, line);
    else printed32_.push_back({slot, n.value, line, false});
  }

  void flags(const Scanner& sc, const Line& l) {
    auto flag = [&](const char* key) -> std::optional<uint64_t> {
      size_t at = sc.find_key(key);
      if (at == std::string::npos) return std::nullopt;
      Number n = sc.dec(at + std::string_view(key).size());
      return n.ok ? std::optional<uint64_t>(n.value) : std::nullopt;
    };
    // QEMU's SMM flag is HF_SMM_MASK, the same bit KVM reports in smi.smm.
    if (auto smm = flag("SMM="); smm && *smm <= 1) {
      w_->given(id(kSMM), *smm, l.no);
      if (*smm) w_->note(l.no, "SMM=1: the vCPU was in system-management mode");
    }
    if (flag("HLT=").value_or(0))
      w_->note(l.no, "HLT=1: the vCPU was halted (or waiting for SIPI); ACTIVITY_STATE is not shown and stays missing");
  }

  void segment(const Scanner& sc, const Line& l, size_t seg) {
    any_ = true;
    auto field = [&](SegMember m) { return id(seg_field(seg, m)); };
    Number sel = sc.hex(4, {4});
    w_->take(field(kSel), sel, l.no);
    if (!sel.ok) {
      for (SegMember m : {kBase, kLimit, kAr}) w_->unreadable(field(m), l.no, "the selector before it is unreadable");
      return;
    }
    Number base = sc.hex(sel.end, {8, 16});
    take_maybe32(seg_field(seg, kBase), base, l.no);
    if (!base.ok && base.digits == 0) {
      for (SegMember m : {kLimit, kAr}) w_->unreadable(field(m), l.no, "the base before it is unreadable");
      return;
    }
    Number limit = sc.hex(base.end, {8});
    w_->take(field(kLimit), limit, l.no);
    if (!limit.ok) {
      w_->unreadable(field(kAr), l.no, "the limit before it is unreadable");
      return;
    }
    Number fl = sc.hex(limit.end, {8});
    if (!fl.ok) {
      w_->unreadable(field(kAr), l.no, fl.why);
      return;
    }
    w_->given(field(kAr), ar_from_qemu_flags(fl.value), l.no);
    // Selector, base and limit 0 and no code segment (S or the code bit clear).
    if (seg == 1 && (sel.value | base.value | limit.value) == 0 && (fl.value & 0x1800) != 0x1800) blank_cs_ = true;
  }

  struct Printed32 {
    int slot;  // a Field
    uint64_t value;
    uint32_t line;
    bool always;  // cast to 32 bits by every QEMU (CR4), not only by the 32-bit layout
  };

  void finish_block() {
    StateInput& in = *cur_;
    SlotWriter& w = *w_;
    // cpu_dump_state prints these lines in this order; a dump without some was cut short.
    std::string absent;
    for (size_t k = 1; k < std::size(kExpectedLines); ++k) {  // RIP= (1) stands for EIP= (0) too
      bool seen = (seen_ >> k) & 1 || (k == 1 && (seen_ & 1));
      if (!seen) absent += (absent.empty() ? "" : ", ") + std::string(k == 1 ? "RIP=/EIP=" : kExpectedLines[k]);
    }
    if (!absent.empty()) w.note(0, "the dump has no " + absent + " line: cut short, so those fields stay missing");
    // No CPU runs with a CS of selector, base and limit 0 that is no code
    // segment: the VMM could not read this vCPU (an SEV-ES/SNP or TDX
    // guest's registers are encrypted, or the vCPU never ran), and shows what
    // it had instead.
    if (blank_cs_)
      w.note(0, "CS reads selector 0, base 0, limit 0 and is no code segment, which no running CPU holds: QEMU could not "
                "read this vCPU's registers (an SEV-ES/SNP or TDX guest's are encrypted; or the vCPU never ran), so "
                "findings describe the dump, not the guest");
    // qemu-system-i386 prints DR0 with 8 digits: its registers are 32-bit and
    // complete. qemu-system-x86_64 prints 16: a 32-bit value may hide an upper half.
    // Under EFER.LMA (compatibility mode: the 32-bit layout with 64-bit
    // GDT/CR3) the upper halves are live and unknown; outside long mode they
    // are 0 for every check that reads them.
    bool lma = w.has(id(kEFER)) ? ((w.get(id(kEFER)) >> 10) & 1) != 0 : lma_layout_;
    std::string hidden, unknown;
    for (const Printed32& p : printed32_) {
      bool complete32 = !p.always && target_known_ && !target64_;
      if (complete32) {
        w.given(id(p.slot), p.value, p.line);
        continue;
      }
      if (lma && !p.always) {
        w.unreadable(id(p.slot), p.line, "");
        unknown += (unknown.empty() ? "" : ", ") + std::string(kFieldNames[p.slot]);
        continue;
      }
      w.inferred(id(p.slot), p.value, p.line, "");
      hidden += (hidden.empty() ? "" : ", ") + std::string(kFieldNames[p.slot]);
    }
    if (!hidden.empty())
      w.note(0, "QEMU prints these cast to 32 bits (x86_cpu_dump_state); their upper 32 bits are inferred as 0: " + hidden);
    if (!unknown.empty())
      w.note(0, "compatibility mode (EFER.LMA=1, 32-bit layout): QEMU prints these cast to 32 bits and their upper "
                "halves are unknown, so they stay missing: " + unknown);
    if (target_known_ && !target64_) w.note(0, "8-digit DR0..DR7: a qemu-system-i386 dump, whose registers are 32-bit");

    kvm_view(w, in, opts_);
    finish_input(in, slots_, opts_);
  }

  long id(int field) const { return ids_[static_cast<size_t>(field)]; }

  std::string file_;
  Slots slots_;
  ReadOptions opts_;
  std::span<const long> ids_;  // per Field: its slot, -1 if the spec lacks it
  std::vector<StateInput> blocks_;
  std::optional<StateInput> cur_;
  std::optional<SlotWriter> w_;
  std::optional<Header> pending_;
  std::vector<Printed32> printed32_;
  bool blank_cs_ = false;  // "CS =0000 00000000 00000000 00000000" (or 00008000)
  unsigned seen_ = 0;  // bit k: a kExpectedLines[k] line was in this block
  bool target64_ = false, target_known_ = false, has_gprs_ = false, any_ = false, seen_internal_ = false;
  bool lma_layout_ = false;
};

}  // namespace

ReadResult read_qemu(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o) {
  return QemuReader(file, slots, o).run(text);
}

size_t qemu_last_dump_start(std::string_view text) {
  // A line as the reader sees it: cleaned of log prefixes and quoting.
  auto cleaned = [](std::string_view line) {
    text::Lines one = text::clean_lines(line);
    return std::string(one.lines.empty() ? std::string_view() : one.lines[0].text);
  };
  auto opens = [](std::string_view t) {
    return text::starts_with(t, "CPU#") || text::starts_with(t, "KVM: entry failed") ||
           text::starts_with(t, "KVM internal error");
  };
  // What leads into a dump: a cut right after one would part a dump from its header.
  auto leads_in = [&](std::string_view t) {
    return opens(t) || text::starts_with(t, "extra data") || text::starts_with(t, "emulation failure");
  };
  size_t end = text.size();
  for (size_t at = text.rfind('\n', end ? end - 1 : 0); at != std::string_view::npos && at > 0;
       at = text.rfind('\n', at - 1)) {
    size_t start = at + 1;
    std::string t = cleaned(text.substr(start, end - start));
    end = at;
    bool registers = text::starts_with(t, "RAX=") || text::starts_with(t, "EAX=");
    if (!opens(t) && !registers) continue;
    // The lines before it must not lead into this dump (up to 8 back: QEMU's
    // internal-error header is at most a few lines of extra data).
    bool led = false;
    size_t back = at;
    for (int k = 0; k < 8 && back > 0 && !led; ++k) {
      size_t prev = text.rfind('\n', back - 1);
      size_t b = prev == std::string_view::npos ? 0 : prev + 1;
      led = leads_in(cleaned(text.substr(b, back - b)));
      if (prev == std::string_view::npos) break;
      back = prev;
    }
    if (!led) return start;
  }
  return std::string_view::npos;
}

}  // namespace vcpuspec::readers

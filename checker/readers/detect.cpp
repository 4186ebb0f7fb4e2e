#include "readers/detect.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "readers/dump_text.hpp"
#include "readers/segments.hpp"
#include "readers/state_json.hpp"

namespace vcpuspec::readers {

namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The 1-based line of offset `at`.
uint32_t line_of(std::string_view text, size_t at) {
  uint32_t n = 1;
  for (size_t i = 0; i < at && i < text.size(); ++i) n += text[i] == '\n';
  return n;
}

std::string where(std::string_view text, size_t at, std::string_view marker) {
  return "line " + std::to_string(line_of(text, at)) + ": '" + std::string(marker) + "'";
}

// A marker, and where in it a rarer part starts: find() stops at every
// occurrence of its needle's first byte, and a QEMU dump (the common input)
// is full of 'C' and 'F' but has few ':' or 'V'.
struct Marker {
  std::string_view text;
  size_t rare = 0;
};

size_t find_marker(std::string_view hay, const Marker& m) {
  std::string_view head = m.text.substr(0, m.rare), part = m.text.substr(m.rare);
  for (size_t at = hay.find(part, m.rare); at != std::string_view::npos; at = hay.find(part, at + 1))
    if (hay.substr(at - m.rare, m.rare) == head) return at - m.rare;
  return std::string_view::npos;
}

// The first of `markers` in the text, or npos.
size_t first_of(std::string_view text, std::initializer_list<Marker> markers, std::string_view& hit) {
  size_t best = std::string_view::npos;
  for (const Marker& m : markers) {
    size_t at = find_marker(text, m);
    if (at < best) best = at, hit = m.text;
  }
  return best;
}

// QEMU's "KEY=" followed by a hex digit, as cpu_dump_state prints it,
// starting before `before`.
size_t qemu_marker(std::string_view text, std::string_view key, size_t before) {
  // Only the text before `before` is searched: a key a dump lacks ("RBX=" in
  // a 32-bit one) must not cost a scan of the whole input.
  if (before != std::string_view::npos) text = text.substr(0, std::min(text.size(), before + key.size()));
  for (size_t at = text.find(key); at < before; at = text.find(key, at + 1)) {
    size_t v = at + key.size();
    bool word_start = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    if (word_start && v < text.size() && is_hex(text[v])) return at;
  }
  return std::string_view::npos;
}

// At `v`: a field name (dots too where `dotted`: "cs.base"), blanks, then
// ':' or '='. Where the value after it starts (blanks skipped), or npos.
size_t after_name(std::string_view text, size_t v, bool dotted) {
  const size_t name = v;
  while (v < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[v])) || text[v] == '_' || (dotted && text[v] == '.')))
    ++v;
  if (v == name) return std::string_view::npos;
  while (v < text.size() && text[v] == ' ') ++v;
  if (v >= text.size() || (text[v] != '=' && text[v] != ':')) return std::string_view::npos;
  ++v;
  while (v < text.size() && text[v] == ' ') ++v;
  return v;
}

// Where a struct field's number ends a field: at the line's end, before ','
// or '}' (gdb), or before blanks and the next "name:" / "name =" (the
// register tables tools print). A spec's "CR3 = 0;" or prose's "EFER = 0
// cite ..." ends otherwise.
bool ends_field(std::string_view text, size_t v) {
  if (v + 1 < text.size() && text[v] == '0' && (text[v + 1] == 'x' || text[v + 1] == 'X')) v += 2;
  while (v < text.size() && std::isxdigit(static_cast<unsigned char>(text[v]))) ++v;
  if (v >= text.size() || text[v] == '\n' || text[v] == '\r' || text[v] == '}') return true;
  if (text[v] == ',') {
    // gdb's next field, or the end of the line; not a sentence going on ("CR0 = 0x10, CR2 = CR3 = 0").
    ++v;
    while (v < text.size() && (text[v] == ' ' || text[v] == '\t')) ++v;
    if (v >= text.size() || text[v] == '\n' || text[v] == '\r') return true;
    v = after_name(text, v, false);
    return v != std::string_view::npos &&
           (v >= text.size() || text[v] == '\r' || std::isdigit(static_cast<unsigned char>(text[v])) || text[v] == '{');
  }
  if (text[v] != ' ' && text[v] != '\t') return false;
  while (v < text.size() && (text[v] == ' ' || text[v] == '\t')) ++v;
  if (v >= text.size() || text[v] == '\n' || text[v] == '\r') return true;
  return after_name(text, v, true) != std::string_view::npos;
}

// Where a struct field starts in a cleaned line: first on it, after '{'
// or a struct's closing "}," (gdb's "$1 = {cs = {...}, cr0 = 1610612752}"),
// or after a field "name = number" that starts one itself, with a blank or
// ", " between ("RIP: 0x7fff  RFLAGS: 0x46", "cr0 = 16, efer = 0").
// Prose ("leave CR2 = CR4 = EFER = 0, RIP = FFF0h") does not chain.
bool starts_field(std::string_view line, size_t at) {
  auto blanks_before = [&](size_t p) {
    while (p > 0 && (line[p - 1] == ' ' || line[p - 1] == '\t')) --p;
    return p;
  };
  // Walk back field by field; a table or struct line holds a few dozen at
  // most, and a bound keeps a pasted megabyte of "a=1 a=1 ..." linear.
  for (int fields = 0; fields < 64; ++fields) {
    size_t p = blanks_before(at);
    if (p == 0 || line[p - 1] == '{') return true;
    if (line[p - 1] == ',') {
      p = blanks_before(p - 1);
      if (p > 0 && line[p - 1] == '}') return true;
    } else if (p == at) {
      return false;  // a name glued to what precedes it
    }
    // The field before: a number after "name =" or "name:".
    size_t v = p;
    while (v > 0 && std::isxdigit(static_cast<unsigned char>(line[v - 1]))) --v;
    if (v > 1 && line[v - 1] == 'x' && line[v - 2] == '0') v -= 2;
    if (v == p) return false;
    v = blanks_before(v);
    if (v == 0) return true;  // a value wrapped onto this line ("cr0 =" / "1610612752, efer = 0}")
    if (line[v - 1] != ':' && line[v - 1] != '=') return false;
    size_t name_end = blanks_before(v - 1), name = name_end;
    while (name > 0 && (std::isalnum(static_cast<unsigned char>(line[name - 1])) || line[name - 1] == '_' || line[name - 1] == '.'))
      --name;
    if (name == name_end) return false;
    at = name;
  }
  return false;
}

// A kvm_regs/kvm_sregs field name in the lower-cased text as tools print
// struct fields: then '=' or ':' and a number that ends the field
// ("cr0 = 0x60000010,", "RIP: 0x7fff  RFLAGS: 0x46"). Prose and specs that
// name registers ("CR0 := ...", "CR3 = 0;") are no dump.
size_t sregs_marker(std::string_view lower, std::string_view key) {  // one cleaned line
  for (size_t at = lower.find(key); at != std::string_view::npos; at = lower.find(key, at + 1)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(lower[at - 1])) || lower[at - 1] == '_')) continue;
    size_t v = at + key.size();
    while (v < lower.size() && (lower[v] == ' ' || lower[v] == '\t')) ++v;
    if (v >= lower.size() || (lower[v] != '=' && lower[v] != ':')) continue;
    ++v;
    while (v < lower.size() && (lower[v] == ' ' || lower[v] == '\t')) ++v;
    if (v < lower.size() && std::isdigit(static_cast<unsigned char>(lower[v])) && ends_field(lower, v) &&
        starts_field(lower, at))
      return at;
  }
  return std::string_view::npos;
}

// A failure line that a dump follows, when the paste holds no dump: where it
// is and what it is.
struct Header {
  std::string_view marker, what;
};
constexpr Header kHeaders[] = {
    {"KVM internal error", "QEMU's 'KVM internal error' line"},
    {"entry failed, hardware error", "QEMU's 'KVM: entry failed' line"},
    {"vmentry failure (reason", "Xen's vmentry failure line"},
    {"last attempted VM-entry on CPU", "the header of KVM's dump_vmcs()"},
    {"last attempted VMRUN on CPU", "the header of KVM's dump_vmcb()"},
};

std::optional<ReadError> header_only(std::string_view text, const std::string& file) {
  for (const Header& h : kHeaders) {
    size_t at = text.find(h.marker);
    if (at == std::string_view::npos) continue;
    size_t bol = text.rfind('\n', at);
    uint32_t col = static_cast<uint32_t>(at - (bol == std::string_view::npos ? 0 : bol + 1) + 1);
    // qemu-kvm before 1.3 printed its own layout (kvm_show_regs: "rax 0000...
    // rbx ...", "cs 0008 (...)"): named, not guessed at.
    if (size_t old = text.find("rax 0", at); old != std::string_view::npos)
      return ReadError{file, line_of(text, old), 1,
                       std::string(h.what) + " followed by old qemu-kvm's kvm_show_regs() layout ('rax 0000...'), which "
                                             "vcpuspec does not read: QEMU's own 'info registers' layout (RAX=...) is read"};
    return ReadError{file, line_of(text, at), col,
                     std::string(h.what) + ", but no register values after it: nothing to check (was the dump left out of the paste?)"};
  }
  return std::nullopt;
}

std::string lines_of(const Segment& s, std::string_view text) {
  uint32_t last = s.first_line;
  for (size_t i = s.begin; i + 1 < s.end; ++i) last += text[i] == '\n';
  return "lines " + std::to_string(s.first_line) + "-" + std::to_string(last);
}

ReadResult read_text(std::string_view text, const std::string& file, const std::string& format, Slots slots,
                     const ReadOptions& o);

// Each part by its own reader; a part that does not read is named in a note
// on every input the others gave (only when none read is it the error).
ReadResult read_segments(std::string_view text, const std::string& file, const std::vector<Segment>& parts, Slots slots,
                         const ReadOptions& o) {
  Inputs all;
  std::vector<ReaderNote> dropped;
  std::optional<ReadError> first_error;
  std::string formats;
  for (const Segment& s : parts) formats += (formats.empty() ? "" : ", ") + s.format;
  for (const Segment& s : parts) {
    ReadOptions po = o;
    po.first_line = s.first_line;
    ReadResult r = read_text(text.substr(s.begin, s.end - s.begin), file, s.format, slots, po);
    if (auto* e = std::get_if<ReadError>(&r)) {
      if (!first_error) first_error = *e;
      dropped.push_back({s.start_line, lines_of(s, text) + " look like " + s.format + " but were not read: " + e->message});
      continue;
    }
    for (StateInput& in : std::get<Inputs>(r)) {
      note_detected(in, Detected{s.format, "line " + std::to_string(s.start_line) + " (the paste holds " +
                                               std::to_string(parts.size()) + " parts: " + formats + ")"});
      if (in.part.empty()) in.part = s.format + " at line " + std::to_string(s.start_line);
      all.push_back(std::move(in));
    }
  }
  if (all.empty()) return *first_error;
  for (StateInput& in : all)
    for (const ReaderNote& n : dropped) in.notes.push_back(n);
  return all;
}

}  // namespace

std::optional<Detected> detect_format(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = text.find_first_not_of(" \t\r\n", 3);
  if (i != std::string_view::npos && text[i] == '{') return Detected{"json", "starts with '{'"};
  std::string_view hit;
  size_t at = first_of(text, {{"VMCB Control Area:"}, {"VMCB State Save Area:"}, {"FAILED VMRUN WITH VMCB", 7}}, hit);
  if (at != std::string_view::npos) return Detected{"kvm-vmcb", where(text, at, hit)};
  // A mail wrap may split a header ("*** Guest" / "State ***") or a CR line
  // ("CR0:" / "actual=..."): their parts mark the format too.
  at = first_of(text, {{"*** Guest State ***"}, {"*** Control State ***"}, {"*** Host State ***"}, {"CR0: actual=", 3},
                       {"*** Guest"}, {"*** Host"}, {", gh_mask="}, {"VMExit: intr_info=", 6},
                       {"RFLAGS=0x", 2}},
                hit);
  if (at != std::string_view::npos) {
    std::string_view xen_hit;
    size_t xen = first_of(text, {{"(XEN)"}, {"sel  attr  limit   base"}, {"vmentry failure (reason"}, {"VMCS Area"},
                                 {"EFER(VMCS)"}, {"EFER(MSR LL)"}, {"PDPTE0 ="}},
                          xen_hit);
    if (xen != std::string_view::npos) return Detected{"xen-vmcs", where(text, xen, xen_hit)};
    return Detected{"kvm-vmcs", where(text, at, hit)};
  }
  // QEMU: two of its register keys, each followed by hex digits.
  // Once two keys are found only an earlier one can change the answer (the
  // first key, for the message): the rest are looked for before it. Searching
  // each key through the whole dump was a tenth of a QEMU dump's time.
  size_t found = 0;
  size_t first = std::string_view::npos;
  std::string_view first_key;
  // RBX=/EBX= too: a dump cut before its RIP line has only register lines.
  for (std::string_view k : {"EAX=", "RAX=", "EIP=", "RIP=", "ES =", "CS =", "SS =", "GDT=", "CR0=", "EFER=", "RBX=", "EBX="}) {
    size_t a = qemu_marker(text, k, found >= 2 ? first : std::string_view::npos);
    if (a == std::string_view::npos) continue;
    ++found;
    if (a < first) first = a, first_key = k;
  }
  if (found >= 2) return Detected{"qemu", where(text, first, first_key)};
  std::set<std::string_view> keys;
  // kvm_sregs text: two struct field names with their values.
  // Lines as printed (log prefixes and mail quotes off), the first 8 MiB.
  text::Lines lines = text::clean_lines(text.substr(0, 8u << 20));
  uint32_t first_line = 0;
  std::string lower;
  for (const text::Line& l : lines.lines) {
    lower.assign(l.text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t first_col = std::string_view::npos;
    for (std::string_view k : {"cr0", "cr3", "cr4", "efer", "apic_base", "rip", "rflags", "rax"}) {
      size_t at = keys.count(k) ? std::string_view::npos : sregs_marker(lower, k);
      if (at == std::string_view::npos) continue;
      keys.insert(k);
      if (!first_line || (first_line == l.no && at < first_col)) first_line = l.no, first_key = k, first_col = at;
    }
    if (keys.size() >= 2)
      return Detected{"kvm-sregs", "line " + std::to_string(first_line) + ": '" + std::string(first_key) + "'"};
  }
  return std::nullopt;
}

ReadResult read_any(std::string_view text, const std::string& file, const std::string& format, Slots slots,
                    const ReadOptions& o) {
  // A mail archive's raw quoted-printable ("CR0: actual=3D0x...", soft line
  // breaks): decoded whole first, once, then read as the text the mail showed.
  if (format != "json" && text.find("=3D") != std::string_view::npos) {
    std::string decoded;
    if (text::decode_quoted_printable(text, decoded)) {
      ReadResult r = read_text(decoded, file, format, slots, o);
      if (auto* inputs = std::get_if<Inputs>(&r))
        for (StateInput& in : *inputs)
          in.notes.push_back({0, "decoded the mail's quoted-printable encoding (=3D, =C2=A0, '=' line ends): line numbers "
                                 "count the decoded text's lines"});
      return r;
    }
  }
  return read_text(text, file, format, slots, o);
}

namespace {

ReadResult read_text(std::string_view text, const std::string& file, const std::string& format, Slots slots,
                     const ReadOptions& o) {
  std::string fmt = format;
  std::optional<Detected> detected;
  if (fmt == "auto") {
    detected = detect_format(text);
    if (!detected) {
      if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return ReadError{file, 0, 0, "empty input"};
      if (auto e = header_only(text, file)) return *e;
      return ReadError{file, 1, 1,
                       "cannot detect the input format: expected the state JSON (vcpuspec.state/1), QEMU 'info "
                       "registers', a KVM dump_vmcs or dump_vmcb, a Xen VMCS dump or kvm_sregs text (or give --format)"};
    }
    fmt = detected->format;
    std::vector<Segment> parts = format_segments(text, fmt);
    if (parts.size() > 1) return read_segments(text, file, parts, slots, o);
  }
  ReadResult r;
  if (fmt == "json") {
    auto j = read_state_json(text, file, slots);
    if (auto* e = std::get_if<ReadError>(&j)) return *e;
    StateInput in = std::get<StateInput>(std::move(j));
    if (!o.flavor.empty()) {
      in.flavor = o.flavor;
      in.flavor_origin = Origin::Set;
    }
    Inputs v;
    v.push_back(std::move(in));
    r = std::move(v);
  } else if (fmt == "qemu") {
    r = read_qemu(text, file, slots, o);
  } else if (fmt == "kvm-vmcs") {
    r = read_kvm_vmcs(text, file, slots, o);
  } else if (fmt == "kvm-vmcb") {
    r = read_kvm_vmcb(text, file, slots, o);
  } else if (fmt == "xen-vmcs") {
    r = read_xen_vmcs(text, file, slots, o);
  } else if (fmt == "kvm-sregs") {
    r = read_kvm_sregs(text, file, slots, o);
  } else {
    return ReadError{file, 0, 0, "unknown format '" + fmt + "'"};
  }
  if (auto* inputs = std::get_if<Inputs>(&r)) {
    // A dump whose lines were recognised but gave no value (every value cut
    // or unreadable) is nothing to check: an error, not "0 of N given".
    // (Inferred counts: a QEMU value printed cast to 32 bits is read, its
    // upper half inferred.)
    bool any = false;
    for (const StateInput& in : *inputs)
      any |= std::any_of(in.origin.begin(), in.origin.end(),
                         [](Origin g) { return g == Origin::Given || g == Origin::Inferred || g == Origin::NotLoaded; });
    if (!any && !inputs->empty() && fmt != "json") {  // a JSON state says what it gives
      std::string why;
      for (const ReaderNote& n : (*inputs)[0].notes)
        if (n.line) why += (why.empty() ? "" : "; ") + ("line " + std::to_string(n.line) + ": " + n.text);
      return ReadError{file, o.first_line, 1,
                       "a " + fmt + " dump" + (detected ? " (" + detected->why + ")" : "") +
                           " in which no value could be read: nothing to check" + (why.empty() ? "" : " (" + why + ")")};
    }
    if (detected)
      for (StateInput& in : *inputs) note_detected(in, *detected);
  }
  return r;
}

}  // namespace

void note_detected(StateInput& in, const Detected& d) {
  in.format_detected = true;
  if (!d.why.empty() && d.format != "json")
    in.notes.insert(in.notes.begin(), ReaderNote{0, "format " + d.format + " detected from " + d.why});
}

}  // namespace vcpuspec::readers

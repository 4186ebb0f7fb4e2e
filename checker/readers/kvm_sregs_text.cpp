// struct kvm_regs / kvm_sregs (and kvm_debugregs, kvm_xcrs, kvm_msr_entry)
// printed field by field, the way VMMs log them on a failed KVM_RUN
// (docs/cli.md "kvm-sregs"):
//   key = value, key: value, key:value       (one or many per line)
//   cs.base = 0x0                             (dotted paths)
//   cs = {base = 0, limit = 65535, type = 11 '\v', ...}   (gdb `p sregs`)
//   CS  base: 0x0 limit: 0xffff selector: 0xf000 type: 0xb present: 1
//       dpl: 0 db: 0 s: 1 l: 0 g: 0 avl: 0 unusable: 0  (an indented line continues the segment)
// Keys are the struct field names (rax..r15, rip, rflags, cr0..cr8, efer,
// apic_base; cs/ds/es/fs/gs/ss/tr/ldt with base, limit, selector, type,
// present, dpl, db, s, l, g, avl, unusable; gdt/idt with base, limit;
// db[0..3], dr6, dr7; xcr0) or a spec state name (pat, sysenter_cs, ...);
// MSRs also as {index = N, data = V}. Numbers: 0x hex or decimal. Case does
// not matter. A line "vcpu N" starts the next vCPU.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "readers/dumps.hpp"
#include "readers/dump_text.hpp"
#include "readers/kvm_view.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

namespace {

using text::Line;

struct Token {
  enum Kind { Ident, Number, Eq, Open, Close, Comma, Other } kind = Other;
  std::string text;
  size_t col = 0;
};

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         c == '.' || c == '[' || c == ']';
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {  // gdb's char and string forms: skipped
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) j += s[j] == '\\' ? 2 : 1;
      i = std::min(j + 1, s.size());
      continue;
    }
    Token t;
    t.col = i;
    if (c == '=' || c == ':') t.kind = Token::Eq, ++i;
    else if (c == '{') t.kind = Token::Open, ++i;
    else if (c == '}') t.kind = Token::Close, ++i;
    else if (c == ',' || c == ';') t.kind = Token::Comma, ++i;
    else if (ident_char(c)) {
      size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      t.text = s.substr(i, j - i);
      t.kind = (t.text[0] >= '0' && t.text[0] <= '9') ? Token::Number : Token::Ident;
      i = j;
    } else {
      t.kind = Token::Other;
      ++i;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// "$2 = {cs = {base = ...": a gdb value, and whether its braces are balanced.
bool gdb_value_start(std::string_view t) {
  std::string_view s = text::trim_view(t);
  return s.size() > 2 && s[0] == '$' && std::isdigit(static_cast<unsigned char>(s[1])) && s.find('{') != std::string_view::npos;
}
bool braces_closed(std::string_view t) {
  return std::count(t.begin(), t.end(), '{') <= std::count(t.begin(), t.end(), '}');
}
// "... present:" or "... rdx =" at the end of a line of fields: a wrap took
// the value. A line with no field before it is a heading ("vcpu 0 after
// INIT:"): no key and its value are wider than a wrap.
bool dangling_key(std::string_view t) {
  std::string_view s = text::trim_view(t);
  if (s.size() < 2 || (s.back() != ':' && s.back() != '=') || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return s.substr(0, s.size() - 1).find_first_of(":=") != std::string_view::npos;
}
// A dangling key starts a record where it opens one ("entries = {{index =")
// or stands outside any gdb value; a line from inside a value ("...'\000'},
// ds = {base = 0, ..., type =") closes as many braces as it opens.
bool record_start(std::string_view t) {
  if (gdb_value_start(t)) return true;
  if (!dangling_key(t)) return false;
  return t.find_first_of(",{}") == std::string_view::npos || !braces_closed(t);
}
bool record_whole(std::string_view t) { return braces_closed(t) && !dangling_key(t); }

// The kvm_segment field names: a line holding only these continues the
// segment line before it (a wrap of "CS  base: 0x0 limit: ... present: 1").
bool segment_field(const std::string& k) {
  static const char* names[] = {"base", "limit", "selector", "type", "present", "dpl", "db", "s", "l", "g", "avl", "unusable", "padding"};
  for (const char* n : names)
    if (k == n) return true;
  return false;
}

const std::map<std::string, std::string>& seg_names() {
  static const std::map<std::string, std::string> m = {
      {"cs", "CS"}, {"ds", "DS"}, {"es", "ES"},     {"fs", "FS"},     {"gs", "GS"},     {"ss", "SS"},
      {"tr", "TR"}, {"ldt", "LDTR"}, {"ldtr", "LDTR"}, {"gdt", "GDTR"}, {"gdtr", "GDTR"}, {"idt", "IDTR"},
      {"idtr", "IDTR"}};
  return m;
}

// The kvm_segment attribute bits, in the VMX access-rights layout.
struct Attr {
  const char* name;
  unsigned shift, width;
};
constexpr Attr kAttrs[] = {{"type", 0, 4}, {"s", 4, 1}, {"dpl", 5, 2}, {"present", 7, 1},
                           {"avl", 12, 1}, {"l", 13, 1}, {"db", 14, 1}, {"g", 15, 1}};

class SregsReader {
 public:
  SregsReader(const std::string& file, Slots slots, const ReadOptions& o) : file_(file), slots_(slots), opts_(o) {}

  ReadResult run(std::string_view input) {
    text::Lines lines = text::clean_lines(input, opts_.first_line);
    // gdb prints a struct on one line; a mail wrap cuts it anywhere. Until
    // its braces close, or while a line ends in a key without its value, the
    // next line continues it.
    text::join_wrapped(lines, record_start, record_whole);
    for (const Line& l : lines) line(l);
    close();
    if (states_.empty())
      return ReadError{file_, 1, 1, "no kvm_regs/kvm_sregs fields found (expected lines such as 'cr0 = 0x60000010' or 'rip: 0xfff0')"};
    for (size_t i = 0; i < states_.size(); ++i) {
      if (states_.size() > 1 && states_[i].part.empty()) states_[i].part = "vcpu " + std::to_string(i);
      lines.annotate(states_[i].notes);
    }
    return std::move(states_);
  }

 private:
  struct SegAcc {
    std::map<std::string, std::pair<uint64_t, uint32_t>> fields;  // name -> (value, line)
    uint32_t first_line = 0;
  };

  void open(const std::string& part) {
    close();
    cur_.emplace();
    cur_->file = file_;
    cur_->part = part;
    cur_->format = "kvm-sregs";
    w_.emplace(slots_, *cur_);
    segs_.clear();
    any_ = false;
    stack_.clear();
    line_group_.clear();
    msr_index_.reset();
  }

  void close() {
    if (!cur_) return;
    for (auto& [seg, acc] : segs_) segment(seg, acc);
    if (any_) {
      kvm_view(*w_, *cur_, opts_);
      finish_input(*cur_, slots_, opts_);
      states_.push_back(std::move(*cur_));
    }
    w_.reset();
    cur_.reset();
  }

  void line(const Line& l) {
    std::string t = text::trim(l.text);
    std::string lt = text::lower(t);
    // "vcpu 1", "== vCPU 1 ==", "VCPU#1": the next vCPU.
    {
      size_t i = 0;
      while (i < lt.size() && (lt[i] == '=' || lt[i] == '-' || lt[i] == ' ')) ++i;
      if (lt.compare(i, 4, "vcpu") == 0) {
        size_t j = i + 4;
        while (j < lt.size() && (lt[j] == ' ' || lt[j] == '#')) ++j;
        size_t d = j;
        while (j < lt.size() && lt[j] >= '0' && lt[j] <= '9') ++j;
        if (j > d && (j == lt.size() || lt[j] == ' ' || lt[j] == '=' || lt[j] == ':' || lt[j] == '-')) {
          open("vcpu " + lt.substr(d, j - d));
          return;
        }
      }
    }
    if (!cur_) open("");
    bool indented = !l.text.empty() && (l.text[0] == ' ' || l.text[0] == '\t');
    std::vector<Token> tk = tokenize(t);
    bool only_segment_fields = !tk.empty();
    for (size_t i = 0; i < tk.size(); ++i)
      if (tk[i].kind == Token::Ident && i + 1 < tk.size() && (tk[i + 1].kind == Token::Eq) && !segment_field(text::lower(tk[i].text)))
        only_segment_fields = false;
    if (!indented && !only_segment_fields) line_group_.clear();
    // "CS  base: 0x0 ...": a segment name, then its fields on this line.
    if (tk.size() >= 3 && tk[0].kind == Token::Ident && tk[1].kind == Token::Ident && seg_names().count(text::lower(tk[0].text))) {
      line_group_ = text::lower(tk[0].text);
      tk.erase(tk.begin());
    }
    for (size_t i = 0; i < tk.size(); ++i) {
      const Token& k = tk[i];
      if (k.kind == Token::Close) {
        if (!stack_.empty()) stack_.pop_back();
        continue;
      }
      if (k.kind != Token::Ident || i + 2 >= tk.size() + 0 || tk[i + 1].kind != Token::Eq) {
        // "msr 0x277 = value"
        if (k.kind == Token::Ident && text::lower(k.text) == "msr" && i + 3 < tk.size() + 0 &&
            tk[i + 1].kind == Token::Number && tk[i + 2].kind == Token::Eq && tk[i + 3].kind == Token::Number) {
          uint64_t idx = 0, v = 0;
          if (parse_u64(tk[i + 1].text, idx) && parse_u64(tk[i + 3].text, v)) {
            any_ = true;
            msr(idx, v, l.no);
          }
          i += 3;
        }
        continue;
      }
      const Token& v = tk[i + 2];
      std::string key = text::lower(k.text);
      if (v.kind == Token::Open) {
        stack_.push_back(key);
        i += 2;
        continue;
      }
      if (v.kind != Token::Number) continue;
      i += 2;
      uint64_t value = 0;
      if (!parse_u64(v.text, value)) {
        note_unreadable(key, l.no, "'" + v.text + "' is not a number");
        continue;
      }
      assign(key, value, l.no);
    }
  }

  // The field path: enclosing `{` groups, the line's segment, the dotted key.
  void assign(const std::string& key, uint64_t value, uint32_t line) {
    std::vector<std::string> path = stack_;
    if (!line_group_.empty()) path.push_back(line_group_);
    size_t start = 0;
    for (size_t dot = key.find('.'); ; dot = key.find('.', start)) {
      path.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const std::string& last = path.back();
    std::string parent = path.size() >= 2 ? path[path.size() - 2] : "";
    if (seg_names().count(parent)) {
      any_ = true;
      SegAcc& acc = segs_[seg_names().at(parent)];
      if (!acc.first_line) acc.first_line = line;
      acc.fields[last] = {value, line};
      return;
    }
    // kvm_msr_entry {index, reserved, data}
    if (last == "index") {
      msr_index_ = value;
      return;
    }
    if (last == "data" && msr_index_) {
      any_ = true;
      msr(*msr_index_, value, line);
      msr_index_.reset();
      return;
    }
    // kvm_debugregs.db[N]
    if (last.size() == 5 && last.compare(0, 3, "db[") == 0 && last[4] == ']' && last[3] >= '0' && last[3] <= '3') {
      any_ = true;
      w_->given(std::string("DR") + last[3], value, line);
      return;
    }
    std::string name = last == "eflags" ? "RFLAGS" : last == "xcr" ? "" : upper(last);
    long id = find_slot(slots_, name);
    if (id >= 0 && rt::is_state_slot(slots_[static_cast<size_t>(id)].kind) && !*slots_[static_cast<size_t>(id)].group) {
      any_ = true;
      w_->given(name, value, line);
    }
  }

  void msr(uint64_t index, uint64_t value, uint32_t line) {
    for (const rt::SlotInfo& s : slots_)
      if (s.msr_index >= 0 && static_cast<uint64_t>(s.msr_index) == index) {
        w_->given(s.name, value, line);
        return;
      }
  }

  void note_unreadable(const std::string& key, uint32_t line, const std::string& why) {
    cur_->notes.push_back({line, key + " unreadable (" + why + ")"});
  }

  void segment(const std::string& seg, const SegAcc& acc) {
    SlotWriter& w = *w_;
    auto get = [&](const char* f) -> std::optional<std::pair<uint64_t, uint32_t>> {
      auto it = acc.fields.find(f);
      if (it == acc.fields.end()) return std::nullopt;
      return it->second;
    };
    if (auto v = get("base")) w.given(seg + ".base", v->first, v->second);
    if (auto v = get("limit")) w.given(seg + ".limit", v->first, v->second);
    if (seg == "GDTR" || seg == "IDTR") return;
    if (auto v = get("selector")) w.given(seg + ".sel", v->first, v->second);
    uint64_t ar = 0;
    std::string missing;
    for (const Attr& a : kAttrs) {
      auto v = get(a.name);
      if (!v) {
        missing += (missing.empty() ? "" : ", ") + std::string(a.name);
        continue;
      }
      if (v->first >> a.width) {
        w.unreadable(seg + ".ar", v->second, std::string(a.name) + " = " + std::to_string(v->first) + " does not fit its " +
                                                 std::to_string(a.width) + "-bit field");
        return;
      }
      ar |= v->first << a.shift;
    }
    if (!missing.empty()) {
      bool none = missing.size() == std::string("type, s, dpl, present, avl, l, db, g").size() && !get("unusable");
      if (!none) w.unreadable(seg + ".ar", acc.first_line, "kvm_segment fields not shown: " + missing);
      return;
    }
    auto unusable = get("unusable");
    if (unusable) {
      w.given(seg + ".ar", ar | ((unusable->first & 1) << 16), acc.first_line);
    } else {
      w.inferred(seg + ".ar", ar, acc.first_line, "kvm_segment.unusable not shown: taken as 0");
    }
  }

  static std::string upper(const std::string& s) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }

  std::string file_;
  Slots slots_;
  ReadOptions opts_;
  std::vector<StateInput> states_;
  std::optional<StateInput> cur_;
  std::optional<SlotWriter> w_;
  std::map<std::string, SegAcc> segs_;
  std::vector<std::string> stack_;
  std::string line_group_;
  std::optional<uint64_t> msr_index_;
  bool any_ = false;
};

}  // namespace

ReadResult read_kvm_sregs(std::string_view text, const std::string& file, Slots slots, const ReadOptions& o) {
  return SregsReader(file, slots, o).run(text);
}

}  // namespace vcpuspec::readers

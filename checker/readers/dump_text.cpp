#include "readers/dump_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace vcpuspec::readers::text {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool has_text(std::string_view l) { return l.find_first_not_of(" \t\r\f\v") != std::string_view::npos; }
// A byte's value as a hex digit, -1 for any other byte.
constexpr auto kHexDigit = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = static_cast<int8_t>(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1);
  return t;
}();

size_t skip_blanks(std::string_view s, size_t i) {
  while (i < s.size() && is_blank(s[i])) ++i;
  return i;
}

// Removes HTML tags (`<a href=...>`, `</a>`, `<br>`) and decodes the common
// entities. A '<' followed by a digit is text (QEMU's "Code=... <0f> ...").
// A tag that a wrap split ("RIP=<a" / "href=...>ffff...</a>") runs on into
// the next line: `in_tag` carries it. False, with `out` unused, when there is
// none.
bool strip_html(std::string_view s, std::string& out, bool& in_tag) {
  bool changed = false;
  out.reserve(s.size());
  size_t i = 0;
  if (in_tag) {  // carried one line at most: a line with no '>' is text
    size_t close = s.find('>');
    in_tag = false;
    if (close != std::string_view::npos) {
      i = close + 1;
      changed = true;
    }
  }
  while (i < s.size()) {
    if (s[i] == '<' && i + 1 < s.size() && (is_alpha(s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
      size_t close = s.find('>', i);
      changed = true;
      if (close == std::string::npos) {
        in_tag = true;
        break;
      }
      i = close + 1;
      continue;
    }
    if (s[i] == '&') {
      static const std::pair<std::string_view, char> entities[] = {
          {"&gt;", '>'}, {"&lt;", '<'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''},
          {"&nbsp;", ' '}, {"&apos;", '\''}};
      bool hit = false;
      for (const auto& [name, ch] : entities)
        if (s.substr(i, name.size()) == name) {
          out += ch;
          i += name.size();
          hit = changed = true;
          break;
        }
      if (hit) continue;
    }
    out += s[i++];
  }
  return changed;
}

// "[  673.850218] " or "[Tue Sep  8 22:52:20 2020] " (dmesg -T).
size_t dmesg_prefix(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  size_t close = s.find(']');
  if (close == std::string_view::npos || close > 40) return 0;
  std::string_view in = s.substr(1, close - 1);
  if (in == "..." || in == "\u2026") return close + 1 < s.size() && is_blank(s[close + 1]) ? close + 2 : close + 1;  // elided: "[...]"
  bool seconds = !in.empty() && std::all_of(in.begin(), in.end(), [](char c) { return is_digit(c) || c == '.' || c == ' '; }) &&
                 in.find('.') != std::string_view::npos;
  bool clock = in.size() >= 20 && in.find(':') != std::string_view::npos && is_alpha(in[0]);
  if (!seconds && !clock) return 0;
  // The printk caller id that CONFIG_PRINTK_CALLER adds: "[T78789]", "[C2]".
  size_t i = close + 1;
  if (i + 2 < s.size() && s[i] == '[' && (s[i + 1] == 'T' || s[i + 1] == 'C') && is_digit(s[i + 2])) {
    size_t j = i + 2;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j < s.size() && s[j] == ']') i = j + 1;
  }
  return i < s.size() && is_blank(s[i]) ? i + 1 : i;  // the one blank printk puts there
}

// "[*]": a forum's BBCode list item around each pasted line.
size_t bbcode_item(std::string_view s) { return s.substr(0, 3) == "[*]" ? 3 : 0; }

// "Sep  8 22:52:20 host kernel: " and "2020-09-08T22:52:20.123+02:00 host kernel: ".
size_t syslog_prefix(std::string_view s) {
  size_t i = 0;
  if (s.size() > 16 && is_alpha(s[0]) && is_alpha(s[1]) && is_alpha(s[2]) && s[3] == ' ') {
    i = 4;
    while (i < s.size() && s[i] == ' ') ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i >= s.size() || s[i] != ' ') return 0;
    ++i;
    if (i + 8 > s.size() || s[i + 2] != ':' || s[i + 5] != ':') return 0;
    i += 8;
  } else if (s.size() > 20 && is_digit(s[0]) && s[4] == '-' && s[7] == '-' && s[10] == 'T') {
    i = s.find(' ');
    if (i == std::string_view::npos) return 0;
  } else {
    return 0;
  }
  // host, then a tag ending in ':' ("kernel:", "qemu-system-x86_64[123]:").
  i = skip_blanks(s, i);
  size_t host_end = s.find(' ', i);
  if (host_end == std::string_view::npos) return 0;
  size_t tag_end = s.find(": ", host_end + 1);
  if (tag_end == std::string_view::npos || tag_end - host_end > 48) return 0;
  if (s.substr(host_end + 1, tag_end - host_end - 1).find(' ') != std::string_view::npos) return 0;
  return skip_blanks(s, tag_end + 2);
}

// "(XEN) ", "(XEN) [2018-04-26 10:00:00.123] ".
size_t xen_prefix(std::string_view s) {
  if (s.empty() || s[0] != '(' || s.substr(0, 5) != "(XEN)") return 0;
  size_t i = skip_blanks(s, 5);
  if (i < s.size() && s[i] == '[') {
    size_t close = s.find(']', i);
    if (close != std::string_view::npos && close - i < 40) i = skip_blanks(s, close + 1);
  }
  return i;
}

// Kernel module prefixes of pr_err() in KVM: "kvm_intel: ", "kvm_amd: ",
// the older "SVM: " of kvm_amd, and the "(qemu) " prompt of a monitor session.
size_t module_prefix(std::string_view s) {
  if (s.empty() || (s[0] != 'k' && s[0] != 'S' && s[0] != '(')) return 0;  // runs on every line: most start otherwise
  for (std::string_view p : {"kvm_intel: ", "kvm_amd: ", "kvm-intel: ", "kvm-amd: ", "SVM: ", "(qemu) "})
    if (s.substr(0, p.size()) == p) return skip_blanks(s, p.size());
  return 0;
}

// Indentation a page adds to a whole block (two spaces in a bug tracker, a
// tab or four spaces in a Markdown code block) is the page's, not the
// program's: each run of non-blank lines loses the indentation all its lines
// share. Indentation inside the run (a gdb struct, kvm_sregs' continued
// segments) stays as the program printed it.
// A line's page indentation: the blanks before its text, or for a line that
// had a log prefix or quoting, the blanks before that (already removed).
struct Indent {
  size_t width = 0;
  bool removed = false;
};

void dedent_blocks(std::vector<Line>& lines, const std::vector<Indent>& indent) {
  for (size_t b = 0; b < lines.size();) {
    auto blank = [&](size_t i) { return skip_blanks(lines[i].text, 0) == lines[i].text.size(); };
    if (blank(b)) {
      ++b;
      continue;
    }
    size_t e = b, common = std::string_view::npos;
    for (; e < lines.size() && !blank(e); ++e) common = std::min(common, indent[e].width);
    if (common > 0)
      for (size_t i = b; i < e; ++i)
        if (!indent[i].removed) lines[i].text.remove_prefix(common);
    b = e;
  }
}

}  // namespace

bool decode_quoted_printable(std::string_view in, std::string& out) {
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    size_t j = i + 1;
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t' || in[j] == '\r')) ++j;
    if (j == in.size() || in[j] == '\n') {  // soft line break
      i = j;
      continue;
    }
    if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return false;
    out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
    i += 2;
    if (out.size() >= 2 && out[out.size() - 2] == '\xC2' && out.back() == '\xA0') {
      out.pop_back();
      out.back() = ' ';
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_view(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string trim(std::string_view s) { return std::string(trim_view(s)); }

void trim_line(Line& l) {
  std::string_view t = trim_view(l.text);
  size_t cut = static_cast<size_t>(t.data() - l.text.data());
  l.text = t;
  if (l.joins.empty()) return;
  std::vector<size_t> kept;
  for (size_t j : l.joins)
    if (j > cut && j - cut < t.size()) kept.push_back(j - cut);
  l.joins = std::move(kept);
}

bool starts_with_fold(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

Lines clean_lines(std::string_view input, uint32_t first_line) {
  Lines out;
  Cleaned& what = out.cleaned;
  size_t count = 1;
  for (size_t at = input.find('\n'); at != std::string_view::npos; at = input.find('\n', at + 1)) ++count;
  out.lines.reserve(count);
  std::vector<Indent> indent;
  indent.reserve(count);
  bool in_tag = false;  // an HTML tag open at the end of the line before
  uint32_t no = first_line - 1;
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t nl = input.find('\n', pos);
    size_t end = nl == std::string_view::npos ? input.size() : nl;
    ++no;
    std::string_view s = input.substr(pos, end - pos);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    // memchr (find) for the bytes that mean a rewrite: a byte loop is not
    // vectorised at -O2 and was a fifth of a dump's read time.
    bool esc = s.find('\x1b') != std::string_view::npos;
    bool markup = in_tag || s.find('<') != std::string_view::npos || s.find('&') != std::string_view::npos;
    // Terminal escapes (a monitor session's line editing: ESC [ K, ESC [ D).
    if (esc) {
      std::string t;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\x1b') {
          t += s[i];
          continue;
        }
        if (i + 1 < s.size() && s[i + 1] == '[') {
          i += 2;
          while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) ++i;
        } else {
          ++i;
        }
      }
      s = out.own(std::move(t));
    }
    if (markup) {
      std::string t;
      if (strip_html(s, t, in_tag)) {
        s = out.own(std::move(t));
        what.html = true;
      }
    }
    // Prefixes nest ("> [  1.2] kvm_intel: ..."): peel until none is left.
    // E-mail quoting may sit outside or inside a log's timestamp, but never
    // after "(XEN) " (Xen's own ">>> Domain 3 <<<" comes there).
    bool quote_ok = true, logged = false;
    size_t page_indent = skip_blanks(s, 0);  // before any prefix: the page's
    for (bool again = true; again;) {
      again = false;
      size_t lead = skip_blanks(s, 0);
      if (quote_ok && lead < s.size() && s[lead] == '>') {
        // "> ", "> > ", ">>>> ": each '>' and the one blank after it; any
        // indentation after that is the quoted text's.
        size_t i = lead;
        while (i < s.size() && s[i] == '>') {
          ++i;
          if (i < s.size() && is_blank(s[i])) ++i;
          size_t j = skip_blanks(s, i);
          if (j < s.size() && s[j] == '>') i = j;  // "> > "
        }
        s.remove_prefix(i);
        what.quoted = again = true;
        continue;
      }
      std::string_view v = s.substr(lead);
      for (size_t (*strip)(std::string_view) : {dmesg_prefix, syslog_prefix, xen_prefix, module_prefix, bbcode_item}) {
        if (size_t n = strip(v)) {
          if (strip == xen_prefix) quote_ok = false;
          s.remove_prefix(lead + n);
          what.prefixes = again = logged = true;
          break;
        }
      }
    }
    // A log-prefixed line's page indentation went with its prefix; after
    // quoting alone (">    RAX=..."), the indentation is the quoted page's.
    indent.push_back(logged ? Indent{page_indent, true} : Indent{skip_blanks(s, 0), false});
    out.lines.push_back(Line{no, s, {}, end - pos});
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  dedent_blocks(out.lines, indent);
  return out;
}

void Lines::annotate(std::vector<ReaderNote>& notes) const {
  if (cleaned.html) notes.push_back({0, "removed HTML markup (tags, entities) around the values"});
  if (cleaned.quoted) notes.push_back({0, "removed e-mail quoting ('> ')"});
  for (const ReaderNote& n : join_notes) notes.push_back(n);
}

void join_wrapped(Lines& lines, LinePred starts_record, LinePred complete, bool record_tails) {
  std::vector<Line>& all = lines.lines;
  size_t kept = 0;  // lines are compacted in place: all[0, kept) is the result so far
  std::string joined;
  size_t widest = 0;  // no wrap width is narrower
  for (const Line& l : all) widest = std::max(widest, l.width);
  // Of all[kept - 1]: whether it starts a record, and whether that record is
  // still incomplete (-1: not asked yet).
  bool prev_record = false;
  int prev_incomplete = -1;
  auto prev_open = [&] {
    if (prev_incomplete < 0) prev_incomplete = prev_record && !complete(all[kept - 1].text);
    return prev_incomplete == 1;
  };
  for (size_t i = 0; i < all.size(); ++i) {
    Line& l = all[i];
    // The previous line glued to `cont`, as the program printed it before
    // the wrap: a wrap inside a number splits hex digits, anywhere else it
    // replaced a blank.
    // Between two hex digits it may be either ("...0000d3ff" + "ExitControls=",
    // or a number cut by a hard wrap): a blank unless only the number joined
    // whole makes a whole record.
    auto glued = [&](std::string_view cont, size_t* join_at) {
      const Line& prev = all[kept - 1];
      bool digits = !prev.text.empty() && !cont.empty() && std::isxdigit(static_cast<unsigned char>(prev.text.back())) &&
                    std::isxdigit(static_cast<unsigned char>(cont[0]));
      std::string t(prev.text);
      bool blank = !t.empty() && !is_blank(t.back());
      if (blank && digits) {
        std::string spaced = t + ' ';
        spaced += cont;
        blank = complete(spaced) || !complete(t + std::string(cont));
      }
      if (blank) t += ' ';
      if (join_at) *join_at = t.size();
      t += cont;
      return t;
    };
    // Cheapest tests first, each predicate once per line: this runs on every
    // line of every dump.
    bool text = has_text(l.text);
    bool record = text && starts_record(l.text);
    int open = -1;  // this line's record is incomplete: computed when needed
    bool glue = false;
    if (kept > 0 && record && record_tails) {
      // A continuation that itself looks like a record ("CS:RIP=0010:..."
      // after "Sysenter RSP=...") is glued only where a mail client would
      // have moved its first word (the line before plus that word is wider
      // than the widest line), it is no whole record itself, and it
      // completes the line before. The width test comes first: it spares
      // an unwrapped dump a completeness test on most lines.
      std::string_view t = l.text;
      size_t from = skip_blanks(t, 0);
      // The first word is wider than the room left: widest - prev.width
      // bytes or more (a loop: find_first_of calls memchr once per byte).
      size_t room = widest > all[kept - 1].width ? widest - all[kept - 1].width : 0, word = from;
      while (word < t.size() && word - from < room && !is_blank(t[word])) ++word;
      if (word - from >= room && prev_open()) {
        open = !complete(l.text);
        glue = open && complete(glued(trim_view(t), nullptr));
      }
    } else if (kept > 0 && text && !record) {
      glue = prev_open();
    }
    if (glue) {
      Line& prev = all[kept - 1];
      size_t at = 0;
      std::string t = glued(trim_view(l.text), &at);
      prev.joins.push_back(at);
      prev.text = lines.own(std::move(t));
      prev.width = l.width;  // its last piece is what a further wrap follows
      prev_incomplete = -1;
      joined += (joined.empty() ? "" : ", ") + std::to_string(l.no);
      continue;
    }
    if (kept != i) all[kept] = std::move(l);
    ++kept;
    prev_record = record;
    prev_incomplete = record ? open : 0;
  }
  all.resize(kept);
  if (!joined.empty())
    lines.join_notes.push_back({0, "wrapped lines joined to the line before them (values across a wrap are kept only at their full "
                        "printed width): lines " + joined});
  // A paste that ends inside a record was cut there, not printed so: say where.
  size_t last = kept;  // one past the last line with text
  while (last > 0 && !has_text(all[last - 1].text)) --last;
  if (last > 0 && starts_record(all[last - 1].text) && !complete(all[last - 1].text)) {
    std::string_view t = trim_view(all[last - 1].text);
    size_t from = 0;  // its last 40 bytes or so, from a word's start
    if (t.size() > 40 && (from = t.find(' ', t.size() - 40)) == std::string_view::npos) from = t.size() - 40;
    lines.join_notes.push_back({all[last - 1].no, "the paste ends inside this line ('" + std::string(from ? "..." : "") +
                                                      std::string(trim_view(t.substr(from))) +
                                                      "'): it was cut here, and what the dump printed after it is missing"});
  }
}

bool last_field_complete(std::string_view t, std::initializer_list<LastField> rows) {
  std::string_view s = trim_view(t);
  for (const LastField& r : rows) {
    if (!starts_with(s, r.first)) continue;
    Line l{0, s, {}};
    Scanner sc(l);
    size_t at = s.rfind(r.last);  // the last one: "Sysenter ... CS:RIP=0010:<rip>" ends at its last ':'
    return at != std::string::npos && sc.hex(at + r.last.size(), r.widths).ok;
  }
  return true;
}

size_t Scanner::find_key(std::string_view key, size_t from, bool fold) const {
  std::string hay, lowered;  // only for `fold`
  std::string_view h = line_.text, needle = key;
  if (fold) {
    hay = lower(h);
    lowered = lower(key);
    h = hay;
    needle = lowered;
  }
  for (size_t at = h.find(needle, from); at != std::string_view::npos; at = h.find(needle, at + 1)) {
    // A key must start a word; after a digit an upper-case key still counts
    // ("...0000ESP=": two fields glued where a wrapped line lost its blank).
    if (at > 0 && is_word(h[at - 1]) && is_word(needle[0]) &&
        !(is_digit(h[at - 1]) && needle[0] >= 'A' && needle[0] <= 'Z'))
      continue;
    return at;
  }
  return std::string::npos;
}

bool Scanner::crosses_join(size_t begin, size_t end) const {
  for (size_t j : line_.joins)
    if (j > begin && j < end) return true;
  return false;
}

Number Scanner::hex(size_t pos, std::initializer_list<unsigned> widths) const {
  std::string_view s = line_.text;
  Number n;
  size_t i = skip_blanks(s, pos);
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) i += 2;
  size_t begin = i;
  unsigned max = 16;
  for (unsigned w : widths) max = std::max(max, w);
  // A local accumulator and a table: the loop over Number's field in memory,
  // a branch per digit class, was most of this function's time.
  uint64_t value = 0;
  const size_t stop = std::min(s.size(), begin + max);
  for (int d; i < stop && (d = kHexDigit[static_cast<unsigned char>(s[i])]) >= 0; ++i) value = (value << 4) | unsigned(d);
  n.value = value;
  n.digits = static_cast<unsigned>(i - begin);
  n.end = i;
  if (n.digits == 0) {
    n.why = "no number";
    return n;
  }
  if (i < s.size() && is_hex(s[i]) && widths.size() == 0) {
    n.why = "more than 16 hex digits";
    return n;
  }
  bool width_ok = widths.size() == 0;
  for (unsigned w : widths) width_ok |= n.digits == w;
  if (!width_ok) {
    // The format prints these numbers zero-padded to a fixed width: any
    // other count is a cut-off or garbled value, not a smaller number.
    std::string list;
    for (unsigned w : widths) list += (list.empty() ? "" : " or ") + std::to_string(w);
    n.why = std::to_string(n.digits) + " hex digits where the format prints " + list +
            (i == s.size() ? " (cut short)" : "");
    return n;
  }
  if (crosses_join(begin, i) && widths.size() == 0) {
    n.why = "spans a wrapped line and its width cannot be confirmed";
    return n;
  }
  n.ok = true;
  return n;
}

Number Scanner::dec(size_t pos) const {
  std::string_view s = line_.text;
  Number n;
  size_t i = skip_blanks(s, pos);
  size_t begin = i;
  unsigned __int128 acc = 0;
  while (i < s.size() && is_digit(s[i])) {
    acc = acc * 10 + unsigned(s[i] - '0');
    if (acc > UINT64_MAX) {
      n.why = "does not fit in 64 bits";
      return n;
    }
    ++i;
  }
  n.digits = static_cast<unsigned>(i - begin);
  n.end = i;
  n.value = static_cast<uint64_t>(acc);
  if (!n.digits) {
    n.why = "no number";
    return n;
  }
  if (crosses_join(begin, i) || (i == s.size() && !line_.joins.empty() && line_.joins.back() == s.size())) {
    n.why = "a decimal number split by a wrapped line";
    return n;
  }
  n.ok = true;
  return n;
}

Number Scanner::any(size_t pos) const {
  std::string_view s = line_.text;
  size_t i = skip_blanks(s, pos);
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) return hex(i);
  return dec(i);
}

}  // namespace vcpuspec::readers::text

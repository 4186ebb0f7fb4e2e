// Text shared by the dump readers: lines as people paste them into bug
// reports (dmesg timestamps, syslog and "(XEN)" prefixes, e-mail quoting,
// HTML markup from web archives, e-mail line wraps) cleaned down to what the
// program printed, with the original line numbers kept for errors and notes.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "readers/input.hpp"

namespace vcpuspec::readers::text {

struct Line {
  uint32_t no = 0;          // 1-based line number in the input
  std::string_view text;    // what the program printed, as far as it can be recovered
  std::vector<size_t> joins;  // offsets in `text` where a wrapped continuation was appended
  size_t width = 0;           // the line as pasted, in bytes: what a mail client wrapped
};

// What cleaning removed, for one note per input rather than one per line.
struct Cleaned {
  bool html = false;        // tags or entities
  bool quoted = false;      // "> " e-mail quoting
  bool prefixes = false;    // dmesg/syslog/journal/"(XEN)" prefixes
};

// An input's lines. Most are views of the input itself (a prefix or a '\r'
// removed is only a narrower view): copying every line was a third of a
// QEMU dump's allocations. Texts cleaning had to rewrite (escapes, HTML) or
// glue (wraps) live in `owned`, a deque so that views of it stay valid. The
// input must outlive the lines.
struct Lines {
  std::vector<Line> lines;
  std::deque<std::string> owned;
  Cleaned cleaned;                     // what clean_lines removed
  std::vector<ReaderNote> join_notes;  // what join_wrapped glued

  Lines() = default;
  Lines(Lines&&) = default;  // a deque's move keeps its strings in place
  Lines(const Lines&) = delete;  // a copy's views would point into the original
  auto begin() { return lines.begin(); }
  auto end() { return lines.end(); }
  // Keeps `t` for as long as the lines: for a rewritten line's text.
  std::string_view own(std::string t) { return owned.emplace_back(std::move(t)); }
  // The notes every input read from these lines carries: what cleaning
  // removed and which lines were glued.
  void annotate(std::vector<ReaderNote>& notes) const;
};

// Decodes quoted-printable (RFC 2045 6.7: "=3D" for '=', "=" ending a soft
// line break), with a no-break space (=C2=A0) as a blank. False, `out`
// unused, when the text is not quoted-printable (an "=XX" that is not hex).
bool decode_quoted_printable(std::string_view in, std::string& out);

// `first_line`: the number of the input's first line (a piece of a larger input).
Lines clean_lines(std::string_view input, uint32_t first_line = 1);

// E-mail clients wrap long lines. A line that does not start a record of the
// format is glued to the record line before it when that one is incomplete;
// numbers that span the glue point are only trusted at their full printed
// width (see Scanner::hex).
using LinePred = bool (*)(std::string_view);  // a plain function: called on every line
// `record_tails`: a wrap may leave a record-looking word at a line start
// ("CS:RIP=" after "Sysenter RSP=..."); false for formats where no record's
// tail starts like a record (QEMU), which spares a test per line.
void join_wrapped(Lines& lines, LinePred starts_record, LinePred complete, bool record_tails = true);
// Blanks off both ends of a line, its join offsets moved with its text.
void trim_line(Line& l);

// Reads numbers out of one cleaned line.
struct Number {
  bool ok = false;
  uint64_t value = 0;
  size_t end = 0;         // offset just past the number
  unsigned digits = 0;
  std::string why;        // for !ok: why the text there is not a trustworthy number
};

class Scanner {
 public:
  explicit Scanner(const Line& line) : line_(line) {}
  std::string_view text() const { return line_.text; }

  // Finds `key` (a whole word: not preceded by a letter, digit or '_')
  // at or after `from`; npos when absent. Case-insensitive when `fold`.
  size_t find_key(std::string_view key, size_t from = 0, bool fold = false) const;

  // A hex number at `pos` after optional blanks and an optional "0x". With
  // `widths` non-empty the digit count must be one of them (the printf width
  // of the format), else it is up to 16 digits. A number that spans a
  // wrapped-line join is trusted only at a listed width.
  Number hex(size_t pos, std::initializer_list<unsigned> widths = {}) const;
  // A decimal number at `pos` after optional blanks; never trusted across a join.
  Number dec(size_t pos) const;
  // Either "0x..." (hex) or plain digits (decimal).
  Number any(size_t pos) const;

 private:
  bool crosses_join(size_t begin, size_t end) const;
  const Line& line_;
};

// A line printed as "FIRST ... LAST <hex>": the line is whole once LAST is
// followed by a number of one of `widths` digits. For the wrap joiner's
// `complete` predicates, one table row per multi-field line of a format.
struct LastField {
  std::string_view first, last;
  std::initializer_list<unsigned> widths;
};
// True unless `t` starts with the `first` of a row whose `last` field is
// missing or cut short.
bool last_field_complete(std::string_view t, std::initializer_list<LastField> rows);

std::string lower(std::string_view s);
std::string trim(std::string_view s);
std::string_view trim_view(std::string_view s);
// Inline, and a loop rather than memcmp: readers call it per key per line,
// keys are a few characters and most differ in the first (memcmp calls were
// a seventh of a QEMU dump's read time).
inline bool starts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (s[i] != prefix[i]) return false;
  return true;
}
bool starts_with_fold(std::string_view s, std::string_view prefix);

}  // namespace vcpuspec::readers::text

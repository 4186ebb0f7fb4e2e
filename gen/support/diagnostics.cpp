#include "support/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace vcpuspec {

void Diagnostics::add(Severity s, Loc loc, std::string msg) {
  if (s == Severity::Error) ++errors_;
  if (s == Severity::Warning) ++warnings_;
  list_.push_back(Diagnostic{s, loc, std::move(msg)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = list_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.col) < std::tie(b.loc.file, b.loc.line, b.loc.col);
  });
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.severity == b.severity && a.loc.file == b.loc.file && a.loc.line == b.loc.line &&
           a.loc.col == b.loc.col && a.message == b.message;
  };
  out.erase(std::unique(out.begin(), out.end(), same), out.end());
  return out;
}

std::string format_loc(const SourceManager& sm, Loc loc) {
  if (loc.file == 0 || loc.file > sm.size()) return "<unknown>";
  std::string s = sm.file(loc.file).path;
  if (loc.line != 0) {
    s += ":" + std::to_string(loc.line);
    if (loc.col != 0) s += ":" + std::to_string(loc.col);
  }
  return s;
}

static const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// Control characters would garble a terminal; show them as '?'.
static std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (char c : line) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 && c != '\t') || u == 0x7F ? '?' : c;
  }
  return out;
}

std::string render(const SourceManager& sm, const Diagnostic& d) {
  std::string out = format_loc(sm, d.loc) + ": " + severity_name(d.severity) + ": " + d.message + "\n";
  if (!d.loc.valid() || d.loc.file > sm.size()) return out;
  std::string_view line = sm.line_text(d.loc.file, d.loc.line);
  // Very long lines (generated or hostile input) are cut around the column.
  constexpr size_t kMax = 200;
  std::string shown = printable(line);
  std::string caret;
  size_t cp = 0;  // code points seen
  size_t byte_col = shown.size();
  for (size_t i = 0; i < shown.size(); ++i) {
    if ((static_cast<unsigned char>(shown[i]) & 0xC0) == 0x80) continue;
    if (cp + 1 == d.loc.col) { byte_col = i; break; }
    ++cp;
  }
  size_t start = 0;
  if (shown.size() > kMax) {
    start = byte_col > kMax / 2 ? byte_col - kMax / 2 : 0;
    while (start > 0 && (static_cast<unsigned char>(shown[start]) & 0xC0) == 0x80) --start;
    size_t len = std::min(kMax, shown.size() - start);
    while (start + len < shown.size() && (static_cast<unsigned char>(shown[start + len]) & 0xC0) == 0x80) ++len;
    shown = shown.substr(start, len);
  }
  for (size_t i = start; i < byte_col && i - start < shown.size(); ++i) {
    char c = shown[i - start];
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
    caret += c == '\t' ? '\t' : ' ';
  }
  out += "  " + shown + "\n  " + caret + "^\n";
  return out;
}

std::string render_all(const SourceManager& sm, const Diagnostics& diags) {
  std::string out;
  for (const Diagnostic& d : diags.sorted()) out += render(sm, d);
  return out;
}

}  // namespace vcpuspec

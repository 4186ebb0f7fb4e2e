// Diagnostics: collected, sorted, rendered as `file:line:col: error: msg`
// followed by the source line and a caret.
#pragma once
#include <string>
#include <vector>

#include "support/source.hpp"

namespace vcpuspec {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  Loc loc;
  std::string message;
};

class Diagnostics {
 public:
  void error(Loc loc, std::string msg) { add(Severity::Error, loc, std::move(msg)); }
  void warning(Loc loc, std::string msg) { add(Severity::Warning, loc, std::move(msg)); }
  void note(Loc loc, std::string msg) { add(Severity::Note, loc, std::move(msg)); }
  void add(Severity s, Loc loc, std::string msg);

  bool has_errors() const { return errors_ > 0; }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return warnings_; }
  // In source order (file, line, column); duplicates removed. Stable.
  std::vector<Diagnostic> sorted() const;
  const std::vector<Diagnostic>& all() const { return list_; }

 private:
  std::vector<Diagnostic> list_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
};

// One diagnostic: the `file:line:col: severity: message` line, then the
// source line and a caret under the column (when the location is known).
std::string render(const SourceManager& sm, const Diagnostic& d);
// All of them, sorted, each rendered.
std::string render_all(const SourceManager& sm, const Diagnostics& diags);

// `path:line:col` (or just `path`), as diagnostics print it.
std::string format_loc(const SourceManager& sm, Loc loc);

}  // namespace vcpuspec

// Source files and positions. Every diagnostic points at a Loc.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vcpuspec {

// A position in a source file: 1-based line and column (columns count code points).
struct Loc {
  uint32_t file = 0;  // index into SourceManager; 0 = no file
  uint32_t line = 0;
  uint32_t col = 0;
  bool valid() const { return file != 0 && line != 0; }
};

struct SourceFile {
  std::string path;  // as shown in diagnostics
  std::string text;
};

// Owns the text of every file read, so diagnostics can quote source lines.
class SourceManager {
 public:
  // Returns the new file's id (>= 1).
  uint32_t add(std::string path, std::string text);
  const SourceFile& file(uint32_t id) const { return files_.at(id - 1); }
  size_t size() const { return files_.size(); }
  // The text of line `line` (1-based) of file `id`, without the newline.
  std::string_view line_text(uint32_t id, uint32_t line) const;

 private:
  std::vector<SourceFile> files_;
};

// Reads a whole file; returns false (and leaves `out` empty) when it cannot.
bool read_file(const std::string& path, std::string& out, std::string& error);

// First byte offset where `text` is not valid UTF-8, or npos.
size_t find_invalid_utf8(std::string_view text);

// Line and column (1-based, column in code points) of a byte offset.
void offset_to_line_col(std::string_view text, size_t offset, uint32_t& line, uint32_t& col);

}  // namespace vcpuspec

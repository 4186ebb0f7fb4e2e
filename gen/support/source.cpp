#include "support/source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vcpuspec {

uint32_t SourceManager::add(std::string path, std::string text) {
  files_.push_back(SourceFile{std::move(path), std::move(text)});
  return static_cast<uint32_t>(files_.size());
}

std::string_view SourceManager::line_text(uint32_t id, uint32_t line) const {
  if (id == 0 || id > files_.size() || line == 0) return {};
  std::string_view t = files_[id - 1].text;
  size_t pos = 0;
  for (uint32_t l = 1; l < line; ++l) {
    size_t nl = t.find('\n', pos);
    if (nl == std::string_view::npos) return {};
    pos = nl + 1;
  }
  size_t end = t.find('\n', pos);
  if (end == std::string_view::npos) end = t.size();
  if (end > pos && t[end - 1] == '\r') --end;
  return t.substr(pos, end - pos);
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  out.clear();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return false;
  }
  out = std::move(ss).str();
  return true;
}

size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t min;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; }
    else return i;
    if (i + len > n) return i;
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

void offset_to_line_col(std::string_view text, size_t offset, uint32_t& line, uint32_t& col) {
  line = 1;
  col = 1;
  if (offset > text.size()) offset = text.size();
  for (size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') { ++line; col = 1; }
    else if ((c & 0xC0) != 0x80) ++col;  // count code points, not continuation bytes
  }
}

}  // namespace vcpuspec

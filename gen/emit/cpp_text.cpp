#include "emit/cpp_text.hpp"

namespace vcpuspec::emit {

std::string cpp_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F && c != '?') {
      out += static_cast<char>(c);
    } else {
      // '?' too: no trigraph or digraph can form.
      char buf[5];
      buf[0] = '\\';
      buf[1] = static_cast<char>('0' + ((c >> 6) & 7));
      buf[2] = static_cast<char>('0' + ((c >> 3) & 7));
      buf[3] = static_cast<char>('0' + (c & 7));
      buf[4] = 0;
      out += buf;
    }
  }
  return out + "\"";
}

std::string cpp_comment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7F || c == '\\') ? ' ' : static_cast<char>(c);
  return out;
}

}  // namespace vcpuspec::emit

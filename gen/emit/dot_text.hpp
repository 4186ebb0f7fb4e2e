// Small pieces of DOT text the diagram emitters share.
#pragma once
#include <string>

namespace vcpuspec::emit {

// Text inside a Graphviz HTML-like label.
inline std::string html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace vcpuspec::emit

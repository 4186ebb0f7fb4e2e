// DOT text -> SVG or PNG bytes through libgvc (linked, not a subprocess).
#pragma once
#include <string>

namespace vcpuspec::gv {

// `format`: "svg", "png" or "pdf". False with `error` set when Graphviz rejects it.
bool render_dot(const std::string& dot, const std::string& format, std::string& out, std::string& error);

}  // namespace vcpuspec::gv

// Safe C++ text from spec text: string literals and comments. Nothing from
// the spec ever becomes a C++ identifier or token outside a literal.
#pragma once
#include <string>
#include <string_view>

namespace vcpuspec::emit {

// A C++ string literal with every byte outside printable ASCII, and every
// quote and backslash, escaped (octal escapes: no run-on hex digits).
std::string cpp_string(std::string_view s);
// Text for a `//` comment: control characters and backslashes (which could
// splice the next line into the comment) become spaces.
std::string cpp_comment(std::string_view s);

}  // namespace vcpuspec::emit

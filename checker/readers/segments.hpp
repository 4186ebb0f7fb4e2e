// A paste that holds dumps of several formats (QEMU's register dump, then
// the dump_vmcs of the same failure from dmesg): where each format's part
// starts, so that each is read by its own reader.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vcpuspec::readers {

struct Segment {
  size_t begin = 0, end = 0;  // byte range in the text, whole lines
  std::string format;         // a `--format` name
  uint32_t first_line = 1;    // the line `begin` is on
  uint32_t start_line = 1;    // the line whose marker started it (lines before belong to the first part)
};

// The parts of `text` by format, in order; one part (or none) for a text of
// one format. `detected` is the format found for the whole text: a cheap
// search for the other formats' markers spares a line scan when there are
// none.
std::vector<Segment> format_segments(std::string_view text, const std::string& detected);

}  // namespace vcpuspec::readers

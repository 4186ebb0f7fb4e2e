// Batch mode's reading of one input of any size: a large QEMU log (a fuzzer
// run, a bug-tracker archive, `cat *.log |`) is read in pieces of whole
// dumps, each read, handed on and dropped before the next, so memory stays
// that of one piece. Smaller inputs, and formats that cannot be cut, are
// read whole, as read_any does.
#pragma once
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "readers/detect.hpp"

namespace vcpuspec::readers {

// Bytes read before a piece is cut; an input no longer than this is read whole.
inline constexpr size_t kPieceBytes = 4u << 20;
// The most read whole (one piece, or a format that cannot be cut).
inline constexpr size_t kMaxWhole = 256u << 20;

// Reads `in` as `format` ("auto": detected from the first piece) and calls
// `each` with every state in order. An error is returned for an input with
// no state of its format, or one that cannot be read; states already handed
// on stay handed on.
using EachInput = std::function<void(StateInput&)>;
std::optional<ReadError> read_pieces(std::istream& in, const std::string& file, const std::string& format, Slots slots,
                                     const ReadOptions& o, const EachInput& each);

}  // namespace vcpuspec::readers

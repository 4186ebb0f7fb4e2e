// `--format auto`: which reader an input needs, decided from its content, and
// the one entry point that runs the chosen (or forced) reader.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "readers/dumps.hpp"

namespace vcpuspec::readers {

// The formats `--format` accepts besides "auto".
inline constexpr const char* kFormats[] = {"json", "qemu", "kvm-vmcs", "kvm-vmcb", "xen-vmcs", "kvm-sregs"};

struct Detected {
  std::string format;
  std::string why;  // "line 3: 'RAX='"
};

std::optional<Detected> detect_format(std::string_view text);
// An input whose format was detected: flagged, and (but for JSON, which
// names its schema) a first note saying what gave the format away.
void note_detected(StateInput& in, const Detected& d);

// Reads `text` as `format` ("auto": detect). The JSON reader gives one input.
ReadResult read_any(std::string_view text, const std::string& file, const std::string& format, Slots slots,
                    const ReadOptions& o);

}  // namespace vcpuspec::readers

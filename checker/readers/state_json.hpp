// Reader for the state JSON (`vcpuspec.state/1`, ../shared/DESIGN.md): the
// one interchange format. Strict: unknown fields, wrong types, values that do
// not fit and duplicate keys are errors with their position.
#pragma once
#include <string>
#include <string_view>
#include <variant>

#include "readers/input.hpp"

namespace vcpuspec::readers {

inline constexpr const char* kStateSchema = "vcpuspec.state/1";

std::variant<StateInput, ReadError> read_state_json(std::string_view text, const std::string& file, Slots slots);

}  // namespace vcpuspec::readers

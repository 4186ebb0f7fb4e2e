// Reader for the state JSON (`vcpuspec.state/1`, ../shared/DESIGN.md): the
// one interchange format. Strict: unknown fields, wrong types, values that do
// not fit and duplicate keys are errors with their position.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "readers/input.hpp"
#include "readers/json.hpp"

namespace vcpuspec::readers {

inline constexpr const char* kStateSchema = "vcpuspec.state/1";

std::variant<StateInput, ReadError> read_state_json(std::string_view text, const std::string& file, Slots slots);

// One already-parsed object of that shape, without defaults filled in (a
// trace line: the fields it gives and nothing else). `extra_keys` are
// top-level keys the caller handles.
std::variant<StateInput, ReadError> read_state_value(const json::Value& root, const std::string& file, Slots slots,
                                                     std::span<const std::string_view> extra_keys);

}  // namespace vcpuspec::readers

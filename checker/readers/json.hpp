// A small JSON parser that remembers where every value starts, so errors
// in a state file can say file:line:col. Strict RFC 8259: no comments, no
// trailing commas; numbers are kept as written (converted by the caller).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vcpuspec::json {

struct Member;

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // Number: as written; String: decoded UTF-8
  std::vector<Value> items;
  std::vector<Member> members;  // in order; duplicates kept for the caller to reject
  uint32_t line = 0, col = 0;
  uint32_t key_line = 0, key_col = 0;  // for object members: where the key is

  const Value* find(std::string_view key) const;
};

// An object member. (A struct, not std::pair: pair<string, Value> would need
// Value complete inside Value, which libstdc++ only tolerates under GCC.)
struct Member {
  std::string key;
  Value value;
};

const char* kind_name(Value::Kind k);

struct Error {
  uint32_t line = 0, col = 0;
  std::string message;
};

struct Limits {
  size_t max_depth = 64;
  size_t max_bytes = 64u << 20;
};

std::optional<Value> parse(std::string_view text, Error& err, const Limits& limits = {});

}  // namespace vcpuspec::json

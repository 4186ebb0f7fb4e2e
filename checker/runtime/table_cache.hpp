// Facts worked out once about the generated tables (slots, checks, groups)
// and kept for the thread: the readers and the engine need them per input.
// The tables are static arrays, never freed, so their address (with the
// size and whatever else a fact depends on) names them. Not used by the
// generated code itself.
#pragma once
#include <deque>
#include <utility>

namespace vcpuspec::rt {

// The value `build()` gives for `key`, computed at the first call with that
// key. Each call site (each `Build` type) has its own cache; a deque, so the
// references handed out stay valid as it grows.
template <class T, class Key, class Build>
const T& once_per_table(const Key& key, Build&& build) {
  thread_local std::deque<std::pair<Key, T>> cache;
  for (const auto& [k, v] : cache)
    if (k == key) return v;
  return cache.emplace_back(key, build()).second;
}

}  // namespace vcpuspec::rt

// "Did you mean ...?" for a name that is not known: the closest candidate by
// edit distance (case-insensitive), if it is close enough to be a typo.
#pragma once
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace vcpuspec::support {

// Levenshtein distance, letters compared without case.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The candidate nearest to `name` within a third of its length (at least 2
// edits; a difference of case only is nearest), ties to the smallest, never
// `name` itself; "" if none.
template <class Range>
std::string nearest(std::string_view name, const Range& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::string_view cv(c);
    if (cv == name) continue;
    const size_t d = edit_distance(name, cv);
    if (d < best_d || (d == best_d && !best.empty() && cv < best)) {
      best_d = d;
      best = std::string(cv);
    }
  }
  return best;
}

}  // namespace vcpuspec::support

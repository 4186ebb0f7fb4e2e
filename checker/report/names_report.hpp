// The names a user types or reads: state fields, configuration (params,
// features, controls) and modes, with their widths, defaults and ranges
// (`vcpuspec explain --fields`, docs/names.md).
#pragma once
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "readers/input.hpp"

namespace vcpuspec::report {

struct ModeName {
  std::string id, text;
};

// One section per kind, a line per name: name, width or range, kind, default, text.
std::string names_text(readers::Slots slots, const std::vector<ModeName>& modes);

// The same as Markdown tables; `filled_by`: for each state or configuration
// name, the input formats whose readers gave it somewhere in a corpus.
std::string names_markdown(readers::Slots slots, const std::vector<ModeName>& modes,
                           const std::map<std::string, std::set<std::string>>& filled_by);

}  // namespace vcpuspec::report

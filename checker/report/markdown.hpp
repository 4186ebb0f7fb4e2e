// Markdown tables of the generated docs (hazards.md, names.md, vmms.md).
#pragma once
#include <string>
#include <vector>

namespace vcpuspec::report {

// Text for one table cell: a '|' would end the cell.
inline std::string md_cell(std::string s) {
  for (size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2)) s.replace(at, 1, "\\|");
  return s;
}

// A table's header row and its separator row.
inline std::string md_table_head(const std::vector<std::string>& columns) {
  std::string names = "|", rule = "|";
  for (const std::string& c : columns) {
    names += " " + c + " |";
    rule += "---|";
  }
  return names + "\n" + rule + "\n";
}

}  // namespace vcpuspec::report

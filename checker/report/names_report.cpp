#include "report/names_report.hpp"

#include "report/markdown.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::report {

namespace {

const char* kind_name(rt::SlotKind k) {
  switch (k) {
    case rt::SlotKind::Register: return "register";
    case rt::SlotKind::Msr: return "msr";
    case rt::SlotKind::SegmentMember: return "segment";
    case rt::SlotKind::DtableMember: return "dtable";
    case rt::SlotKind::Param: return "param";
    case rt::SlotKind::Feature: return "feature";
    case rt::SlotKind::Control: return "control";
    default: return "";
  }
}

// "64", "32..52", "1".
std::string size_of(const rt::SlotInfo& s) {
  if (s.has_range) return std::to_string(s.range_lo) + ".." + std::to_string(s.range_hi);
  return std::to_string(s.width);
}

std::string default_of(const rt::SlotInfo& s, readers::Slots slots) {
  if (s.default_from >= 0) return std::string("follows ") + slots[static_cast<size_t>(s.default_from)].name;
  if (s.has_default) return rt::format_value(s.default_value, s.width);
  return "";
}

struct Section {
  const char* title;
  bool (*in)(rt::SlotKind);
};
constexpr Section kSections[] = {
    {"state fields: the vCPU's registers, MSRs and segment parts, read from an input", rt::is_state_slot},
    {"configuration: CPU parameters and features, given with --set KEY=VALUE",
     [](rt::SlotKind k) { return k == rt::SlotKind::Param || k == rt::SlotKind::Feature; }},
    {"controls: VMX and SVM control bits and fields, read from a dump or given with --set",
     [](rt::SlotKind k) { return k == rt::SlotKind::Control; }},
};

}  // namespace

std::string names_text(readers::Slots slots, const std::vector<ModeName>& modes) {
  std::string out;
  for (const Section& sec : kSections) {
    out += std::string(sec.title) + "\n";
    for (const rt::SlotInfo& s : slots) {
      if (!sec.in(s.kind)) continue;
      std::string line = "  " + std::string(s.name);
      line.resize(std::max<size_t>(line.size() + 1, 34), ' ');
      line += size_of(s);
      line.resize(std::max<size_t>(line.size() + 1, 42), ' ');
      line += kind_name(s.kind);
      if (std::string d = default_of(s, slots); !d.empty()) line += " (default " + d + ")";
      if (*s.doc) line += "  " + std::string(s.doc);
      out += line + "\n";
    }
  }
  out += "modes: CPU operating modes (vcpuspec explain ID; vcpuspec render modes)\n";
  for (const ModeName& m : modes) {
    std::string line = "  " + m.id;
    line.resize(std::max<size_t>(line.size() + 1, 34), ' ');
    out += line + m.text + "\n";
  }
  return out;
}

std::string names_markdown(readers::Slots slots, const std::vector<ModeName>& modes,
                           const std::map<std::string, std::set<std::string>>& filled_by) {
  std::string out;
  for (const Section& sec : kSections) {
    out += "## " + std::string(sec.title) + "\n\n| name | bits | kind | default | read from | meaning |\n|---|---|---|---|---|---|\n";
    for (const rt::SlotInfo& s : slots) {
      if (!sec.in(s.kind)) continue;
      std::string formats;
      if (auto it = filled_by.find(s.name); it != filled_by.end())
        for (const std::string& f : it->second) formats += (formats.empty() ? "" : ", ") + f;
      out += "| `" + std::string(s.name) + "` | " + size_of(s) + " | " + kind_name(s.kind) + " | " + md_cell(default_of(s, slots)) +
             " | " + formats + " | " + md_cell(s.doc) + " |\n";
    }
    out += "\n";
  }
  out += "## modes: CPU operating modes (`vcpuspec explain ID`, `vcpuspec render modes`)\n\n| mode | meaning |\n|---|---|\n";
  for (const ModeName& m : modes) out += "| `" + m.id + "` | " + md_cell(m.text) + " |\n";
  return out;
}

}  // namespace vcpuspec::report

#include "report/vmm_report.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "report/markdown.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::report {

namespace {

// The short mark a table cell carries for each kind of difference.
const char* kind_mark(ir::DiffersKind k) {
  switch (k) {
    case ir::DiffersKind::Intentional: return "intentional";
    case ir::DiffersKind::Harmless: return "harmless";
    case ir::DiffersKind::Discrepancy: return "**discrepancy**";
    case ir::DiffersKind::ImplementationDefined: return "impl.-defined";
    case ir::DiffersKind::Unknown: return "unknown";
  }
  return "?";
}

std::string kind_text(const smt::FieldDifference& d) {
  return d.classified ? ir::differs_kind_name(d.classified->kind) : "UNCLASSIFIED";
}

// "3 differences: 1 discrepancy, 2 harmless"
std::string counts(const smt::StateComparison& c) {
  std::map<std::string, int> by;
  for (const smt::FieldDifference& d : c.differences) ++by[kind_text(d)];
  std::string out = std::to_string(c.differences.size()) + (c.differences.size() == 1 ? " difference" : " differences");
  std::string list;
  for (auto& [k, n] : by) list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  return list.empty() ? out : out + " (" + list + ")";
}

}  // namespace

std::string vmms_text(const std::vector<smt::StateComparison>& cmps, const SourceManager& sm, bool verbose) {
  std::string out;
  int failed = 0, unknown = 0;
  for (const smt::StateComparison& c : cmps) {
    const ir::StateDef& v = *c.vmm_state;
    out += v.name + (v.doc.empty() ? "" : " (" + v.doc + ")") + " against " + c.arch_state->name + ": " + counts(c) +
           "\n";
    for (const smt::FieldDifference& d : c.differences) {
      if (!verbose && d.classified) {
        out += "  " + d.field + ": " + d.vmm_value + ", architecture " + d.arch_value + " (" + kind_text(d) + ")\n";
        continue;
      }
      out += "  " + d.field + ": " + v.name + " " + d.vmm_value + ", " + c.arch_state->name + " " + d.arch_value + "\n";
      if (d.classified)
        out += "    " + kind_text(d) + ": " + d.classified->why + "\n";
      else
        out += "    " + format_loc(sm, d.vmm_loc) + ": error: not classified: say why it differs with `differs " +
               "intentional|harmless|discrepancy|implementation_defined|unknown \"why\"` on the item that sets " +
               d.field + "\n";
      out += "    cite " + v.name + ": " + d.vmm_cite + "\n";
      out += "    cite " + c.arch_state->name + ": " + d.arch_cite + "\n";
    }
    for (const ir::Classified& s : c.stale)
      out += "  " + format_loc(sm, s.loc) + ": error: `differs " + ir::differs_kind_name(s.kind) + "` but " + v.name +
             " gives these bits the value " + c.arch_state->name + " gives: drop it\n";
    for (const ir::Check* k : c.failed_checks)
      out += "  fails " + k->id + ": " + k->text + (verbose ? "\n    cite: " + k->cite : std::string()) + "\n";
    for (const std::string& u : c.unknown) out += "  not decided: " + u + "\n";
    failed += c.outcome == smt::Outcome::Failed;
    unknown += c.outcome == smt::Outcome::Unknown;
  }
  out += std::to_string(cmps.size()) + " VMM states compared: " + std::to_string(cmps.size() - failed - unknown) +
         " with every difference classified, " + std::to_string(failed) + " not, " + std::to_string(unknown) +
         " undecided\n";
  return out;
}

std::string vmms_json(const std::vector<smt::StateComparison>& cmps, const SourceManager& sm,
                      const std::string& spec_name, int exit_code) {
  using nlohmann::ordered_json;
  ordered_json root;
  root["schema"] = "vcpuspec.compare/1";
  root["spec"] = spec_name;
  ordered_json arr = ordered_json::array();
  for (const smt::StateComparison& c : cmps) {
    ordered_json j;
    j["state"] = c.vmm_state->name;
    j["vmm"] = c.vmm_state->vmm;
    j["for"] = c.arch_state->name;
    j["doc"] = c.vmm_state->doc;
    j["cite"] = c.vmm_state->cite;
    j["outcome"] = smt::outcome_name(c.outcome);
    ordered_json diffs = ordered_json::array();
    for (const smt::FieldDifference& d : c.differences) {
      ordered_json x;
      x["field"] = d.field;
      x["value"] = d.vmm_value;
      x["architecture"] = d.arch_value;
      x["kind"] = d.classified ? ir::differs_kind_name(d.classified->kind) : "unclassified";
      if (d.classified) x["why"] = d.classified->why;
      x["cite"] = d.vmm_cite;
      x["architecture_cite"] = d.arch_cite;
      if (!d.classified) x["where"] = format_loc(sm, d.vmm_loc);
      diffs.push_back(x);
    }
    j["differences"] = diffs;
    ordered_json stale = ordered_json::array();
    for (const ir::Classified& s : c.stale) stale.push_back(format_loc(sm, s.loc));
    if (!stale.empty()) j["stale_classifications"] = stale;
    ordered_json fails = ordered_json::array();
    for (const ir::Check* k : c.failed_checks) fails.push_back({{"check", k->id}, {"text", k->text}, {"cite", k->cite}});
    j["fails_checks"] = fails;
    if (!c.unknown.empty()) j["undecided"] = c.unknown;
    arr.push_back(j);
  }
  root["states"] = arr;
  root["exit_code"] = exit_code;
  return root.dump(2) + "\n";
}

std::string vmms_markdown(const std::vector<smt::StateComparison>& cmps, const std::string& spec_name) {
  // VMMs in the order their first state is declared; for each, its states by the architectural state.
  std::vector<std::string> vmms;
  std::map<std::pair<std::string, std::string>, const smt::StateComparison*> by;
  for (const smt::StateComparison& c : cmps) {
    if (std::find(vmms.begin(), vmms.end(), c.vmm_state->vmm) == vmms.end()) vmms.push_back(c.vmm_state->vmm);
    by[{c.vmm_state->vmm, c.arch_state->name}] = &c;
  }
  std::vector<std::string> archs;
  for (const smt::StateComparison& c : cmps)
    if (std::find(archs.begin(), archs.end(), c.arch_state->name) == archs.end()) archs.push_back(c.arch_state->name);

  std::string out = "# RESET and INIT in each VMM, against the architecture\n\n";
  out += "Generated by `vcpuspec compare --report md` from " + spec_name +
         "; do not edit (a test regenerates it and compares).\n\n";
  out += "Each VMM's RESET and INIT is a state of the spec (`state qemu.RESET for RESET`, in `spec/vmms/`), read "
         "from the VMM's code at the version its citation names. Z3 compares it with the architectural state "
         "(`spec/arch/reset.vspec`) field by field, for every configuration and, for INIT, every legal previous "
         "state: a field is listed where the two can differ. Fields the architecture leaves unspecified are never "
         "listed. Each difference carries the spec's classification: *intentional* (the VMM says so), *harmless*, "
         "**discrepancy** (a bug against the manuals), *impl.-defined* (the manuals leave the value to the "
         "implementation) or *unknown* (the VMM's value was not established). `vcpuspec compare --vmm NAME -v` "
         "prints each with both citations. Which of them a running VMM confirmed, and how: "
         "[vmm_findings.md](vmm_findings.md).\n\n";

  std::vector<std::string> columns = {"VMM", "read at"};
  columns.insert(columns.end(), archs.begin(), archs.end());
  out += "## The VMMs\n\n" + md_table_head(columns);
  for (const std::string& vmm : vmms) {
    const smt::StateComparison* first = nullptr;
    for (const std::string& a : archs)
      if (!first && by.count({vmm, a})) first = by[{vmm, a}];
    out += "| " + vmm + " | " + md_cell(first->vmm_state->doc) + " |";
    for (const std::string& a : archs) {
      auto it = by.find({vmm, a});
      out += " " + (it == by.end() ? std::string("not modelled") : counts(*it->second)) + " |";
    }
    out += "\n";
  }

  for (const std::string& a : archs) {
    // Fields in the spec's slot order, then by name within a slot.
    std::vector<std::pair<ir::SlotId, std::string>> fields;
    std::map<std::string, std::string> arch_value;
    std::map<std::pair<std::string, std::string>, const smt::FieldDifference*> cell;
    for (const std::string& vmm : vmms) {
      auto it = by.find({vmm, a});
      if (it == by.end()) continue;
      for (const smt::FieldDifference& d : it->second->differences) {
        if (!arch_value.count(d.field)) {
          fields.push_back({d.slot, d.field});
          arch_value[d.field] = d.arch_value;
        }
        cell[{vmm, d.field}] = &d;
      }
    }
    std::stable_sort(fields.begin(), fields.end(), [](auto& x, auto& y) { return x.first < y.first; });
    out += "\n## " + a + "\n\n";
    out += "`=`: the VMM gives the architectural value; `-`: the VMM's " + a + " is not modelled.\n\n";
    std::vector<std::string> columns = {"field", "architecture"};
    columns.insert(columns.end(), vmms.begin(), vmms.end());
    out += md_table_head(columns);
    for (auto& [slot, f] : fields) {
      out += "| " + f + " | " + md_cell(arch_value[f]) + " |";
      for (const std::string& vmm : vmms) {
        if (!by.count({vmm, a})) { out += " - |"; continue; }
        auto it = cell.find({vmm, f});
        if (it == cell.end()) { out += " = |"; continue; }
        const smt::FieldDifference& d = *it->second;
        out += " " + md_cell(d.vmm_value) + " " +
               (d.classified ? std::string(kind_mark(d.classified->kind)) : std::string("UNCLASSIFIED")) + " |";
      }
      out += "\n";
    }
  }

  out += "\n## Architectural checks a VMM's state fails\n\n";
  out += "The `arch` checks (the ones every CPU state passes, `vcpuspec explain --list --scope arch`) run on each "
         "VMM state, the bits it leaves unspecified taken from the architectural state: a check listed here fails for "
         "some configuration because of what the VMM writes.\n\n";
  bool any_failed = false;
  for (const smt::StateComparison& c : cmps)
    for (const ir::Check* k : c.failed_checks) {
      out += "- " + c.vmm_state->name + " fails **" + k->id + "**: " + k->text + ". " + k->cite + ".\n";
      any_failed = true;
    }
  if (!any_failed) out += "None.\n";

  out += "\n## Each difference, with its reason and both citations\n";
  for (const std::string& vmm : vmms) {
    for (const std::string& a : archs) {
      auto it = by.find({vmm, a});
      if (it == by.end()) continue;
      const smt::StateComparison& c = *it->second;
      out += "\n### " + c.vmm_state->name + "\n\n" + c.vmm_state->doc + ". Read in: " + c.vmm_state->cite + ".\n\n";
      if (c.differences.empty()) out += "Equal to " + a + " in every field " + a + " defines.\n";
      for (const smt::FieldDifference& d : c.differences) {
        out += "- **" + d.field + "** = " + d.vmm_value + " (" + a + ": " + d.arch_value + "): *" + kind_text(d) +
               "*" + (d.classified ? ", " + d.classified->why : std::string()) + ".\n";
        out += "  " + c.vmm_state->vmm + ": " + d.vmm_cite + ". Architecture: " + d.arch_cite + ".\n";
      }
    }
  }
  return out;
}

}  // namespace vcpuspec::report

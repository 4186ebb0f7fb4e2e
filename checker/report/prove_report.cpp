#include "report/prove_report.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "ir/ir.hpp"
#include "report/flow_report.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::report {

namespace {

std::string pad(std::string s, size_t n) {
  if (s.size() < n) s.append(n - s.size(), ' ');
  return s;
}

// A counterexample as a table: role, field, value.
std::string table(const std::vector<smt::FieldValue>& rows) {
  size_t w_role = 4, w_field = 5;
  for (const smt::FieldValue& r : rows) {
    w_role = std::max(w_role, r.role.size());
    w_field = std::max(w_field, r.field.size());
  }
  std::string out = "      " + pad("role", w_role) + "  " + pad("field", w_field) + "  value\n";
  for (const smt::FieldValue& r : rows)
    out += "      " + pad(r.role, w_role) + "  " + pad(r.field, w_field) + "  " + ir::format_value(r.value, r.width) + "\n";
  return out;
}

}  // namespace

std::string prove_text(const std::vector<smt::Obligation>& obs, const std::vector<smt::FlowObligation>& flows,
                       const std::string& spec_name, bool verbose) {
  std::string out = "prove: " + std::to_string(obs.size() + flows.size()) + " obligations on " + spec_name + "\n";
  // Group by (state, kind) to keep the common all-proved case short.
  struct Group {
    std::string title;
    size_t proved = 0, failed = 0, unknown = 0;
  };
  std::vector<std::pair<std::string, Group>> groups;
  auto group = [&](const smt::Obligation& ob) -> Group& {
    std::string key = ob.state + "|" + ob.kind;
    for (auto& [k, g] : groups)
      if (k == key) return g;
    Group g;
    g.title = ob.kind == "state-legal" ? ob.state + (ob.text.find("every legal") != std::string::npos
                                                         ? "(prev) satisfies every architectural check, for every legal prev"
                                                         : " satisfies every architectural check")
                                       : ob.text;
    groups.emplace_back(key, g);
    return groups.back().second;
  };
  size_t proved = 0, failed = 0, unknown = 0;
  for (const smt::Obligation& ob : obs) {
    Group& g = group(ob);
    switch (ob.outcome) {
      case smt::Outcome::Proved: ++g.proved; ++proved; break;
      case smt::Outcome::Failed: ++g.failed; ++failed; break;
      case smt::Outcome::Unknown: ++g.unknown; ++unknown; break;
    }
  }
  for (auto& [k, g] : groups) {
    size_t n = g.proved + g.failed + g.unknown;
    std::string status = g.failed ? "FAILED" : g.unknown ? "UNKNOWN" : "proved";
    out += "  " + pad(status, 7) + " " + g.title + " (" + std::to_string(g.proved) + "/" + std::to_string(n) + ")\n";
  }
  for (const smt::Obligation& ob : obs) {
    if (ob.outcome == smt::Outcome::Proved) {
      if (verbose) out += "    proved   " + ob.text + "\n";
      continue;
    }
    if (ob.outcome == smt::Outcome::Unknown) {
      out += "UNKNOWN " + ob.text + ": " + ob.reason + "\n";
      continue;
    }
    out += "FAILED  " + ob.text + "\n";
    if (!ob.reason.empty()) out += "    fields: " + ob.reason + "\n";
    out += "    cite: " + ob.cite + "\n    counterexample:\n" + table(ob.counterexample);
  }
  out += flows_text(flows, verbose);
  size_t na = 0;
  for (const smt::FlowObligation& ob : flows) {
    if (!ob.applicable) ++na;
    else if (ob.outcome == smt::Outcome::Proved) ++proved;
    else if (ob.outcome == smt::Outcome::Failed) ++failed;
    else ++unknown;
  }
  out += std::to_string(proved) + " proved, " + std::to_string(failed) + " failed, " + std::to_string(unknown) +
         " unknown" + (flows.empty() ? "" : ", " + std::to_string(na) + " not applicable") + "\n";
  return out;
}

std::string prove_json(const std::vector<smt::Obligation>& obs, const std::vector<smt::FlowObligation>& flows,
                       const std::string& spec_name, int exit_code) {
  using nlohmann::ordered_json;
  ordered_json root;
  root["schema"] = kProveSchema;
  root["spec"] = spec_name;
  ordered_json arr = ordered_json::array();
  for (const smt::Obligation& ob : obs) {
    ordered_json j;
    j["id"] = ob.id;
    j["kind"] = ob.kind;
    j["state"] = ob.state;
    if (!ob.check.empty()) j["check"] = ob.check;
    j["text"] = ob.text;
    j["cite"] = ob.cite;
    j["outcome"] = smt::outcome_name(ob.outcome);
    if (!ob.reason.empty()) j["reason"] = ob.reason;
    if (!ob.counterexample.empty()) {
      ordered_json ce = ordered_json::array();
      for (const smt::FieldValue& f : ob.counterexample)
        ce.push_back({{"role", f.role}, {"field", f.field}, {"value", ir::format_value(f.value, f.width)}});
      j["counterexample"] = ce;
    }
    arr.push_back(j);
  }
  root["obligations"] = arr;
  root["flow_obligations"] = ordered_json::parse(flows_json_array(flows, -1));
  root["exit_code"] = exit_code;
  return root.dump(2) + "\n";
}

static const char* severity(smt::LintFinding::Severity s) {
  switch (s) {
    case smt::LintFinding::Severity::Error: return "error";
    case smt::LintFinding::Severity::Warning: return "warning";
    case smt::LintFinding::Severity::Info: return "note";
  }
  return "note";
}

std::string lint_text(const smt::LintReport& rep, const SourceManager& sm, bool verbose) {
  std::string out;
  size_t errors = 0, warnings = 0, notes = 0;
  for (const smt::LintFinding& f : rep.findings) {
    if (f.severity == smt::LintFinding::Severity::Info) {
      ++notes;
      if (!verbose) continue;
    }
    if (f.severity == smt::LintFinding::Severity::Error) ++errors;
    if (f.severity == smt::LintFinding::Severity::Warning) ++warnings;
    out += format_loc(sm, f.loc) + ": " + severity(f.severity) + ": " + f.message + " [" + f.rule + "]\n";
  }
  size_t sat = 0, viol = 0;
  for (const smt::CheckLint& c : rep.checks) {
    if (c.can_pass == smt::Outcome::Proved) ++sat;
    if (c.can_fail == smt::Outcome::Proved) ++viol;
  }
  size_t tsat = 0, tviol = 0;
  for (const smt::CheckLint& c : rep.transitions) {
    if (c.can_pass == smt::Outcome::Proved) ++tsat;
    if (c.can_fail == smt::Outcome::Proved) ++tviol;
  }
  size_t proved = 0;
  for (const smt::Obligation& ob : rep.states)
    if (ob.outcome == smt::Outcome::Proved) ++proved;
  out += "lint: " + std::to_string(rep.checks.size()) + " checks: " + std::to_string(sat) + " can pass, " +
         std::to_string(viol) + " can fail; " + std::to_string(rep.transitions.size()) + " transitions: " +
         std::to_string(tsat) + " can pass, " + std::to_string(tviol) + " can fail between legal states; states: " + std::to_string(proved) + "/" +
         std::to_string(rep.states.size()) + " obligations proved; " + std::to_string(errors) + " errors, " +
         std::to_string(warnings) + " warnings, " + std::to_string(notes) + " notes\n";
  return out;
}

std::string lint_json(const smt::LintReport& rep, const SourceManager& sm, int exit_code) {
  using nlohmann::ordered_json;
  ordered_json root;
  root["schema"] = kLintSchema;
  ordered_json checks = ordered_json::array();
  for (const smt::CheckLint& c : rep.checks) {
    ordered_json j;
    j["id"] = c.id;
    j["can_pass"] = c.can_pass == smt::Outcome::Proved ? ordered_json(true)
                    : c.can_pass == smt::Outcome::Failed ? ordered_json(false) : ordered_json(nullptr);
    j["can_fail"] = c.can_fail == smt::Outcome::Proved ? ordered_json(true)
                    : c.can_fail == smt::Outcome::Failed ? ordered_json(false) : ordered_json(nullptr);
    j["implied_by"] = c.implied_by;
    j["overlap_declared"] = c.implied_declared;
    checks.push_back(j);
  }
  root["checks"] = checks;
  ordered_json transitions = ordered_json::array();
  for (const smt::CheckLint& c : rep.transitions)
    transitions.push_back({{"id", c.id},
                           {"can_pass", c.can_pass == smt::Outcome::Proved ? ordered_json(true)
                                        : c.can_pass == smt::Outcome::Failed ? ordered_json(false) : ordered_json(nullptr)},
                           {"can_fail", c.can_fail == smt::Outcome::Proved ? ordered_json(true)
                                        : c.can_fail == smt::Outcome::Failed ? ordered_json(false) : ordered_json(nullptr)}});
  root["transitions"] = transitions;
  ordered_json findings = ordered_json::array();
  for (const smt::LintFinding& f : rep.findings)
    findings.push_back({{"severity", severity(f.severity)}, {"rule", f.rule}, {"check", f.check},
                        {"message", f.message}, {"location", format_loc(sm, f.loc)}});
  root["findings"] = findings;
  size_t proved = 0;
  for (const smt::Obligation& ob : rep.states)
    if (ob.outcome == smt::Outcome::Proved) ++proved;
  root["state_obligations"] = {{"total", rep.states.size()}, {"proved", proved}};
  root["exit_code"] = exit_code;
  return root.dump(2) + "\n";
}

}  // namespace vcpuspec::report

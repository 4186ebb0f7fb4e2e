#include "report/trace_report.hpp"

#include <nlohmann/json.hpp>

#include "report/check_report.hpp"

namespace vcpuspec::report {

namespace {

std::string step_label(const readers::TraceStep& s) {
  return "step " + s.step + " (line " + std::to_string(s.line) + (s.op.empty() ? "" : ", " + s.op) + ", " +
         (s.by == readers::Writer::Guest ? "guest" : "vmm") + ")";
}

std::string changes(const engine::TraceFinding& f, readers::Slots slots) {
  std::string out;
  for (size_t i = 0; i < f.after.size(); ++i) {
    const rt::SlotInfo& s = slots[f.after[i].first];
    const auto& was = f.before[i].second;
    out += (out.empty() ? "" : ", ") + std::string(s.name) + " = " + rt::format_value(f.after[i].second, s.width) +
           " (was " + (was ? rt::format_value(*was, s.width) : std::string("not known")) + ")";
  }
  return out;
}

std::string vcpu_name(const readers::Trace& t, const engine::TraceRun& r) {
  return r.vcpu->name.empty() ? t.file : t.file + " [" + r.vcpu->name + "]";
}

}  // namespace

std::string trace_text(const readers::Trace& t, const std::vector<engine::TraceRun>& runs, readers::Slots slots,
                       const std::string& flavor) {
  std::string out;
  for (const engine::TraceRun& r : runs) {
    const auto& steps = r.vcpu->steps;
    out += "== " + vcpu_name(t, r) + " (trace " + t.format + ", flavor " + flavor + "; " + std::to_string(steps.size()) +
           " steps)\n";
    for (const std::string& n : t.notes) out += "   note: " + n + "\n";
    if (r.finding) {
      const engine::TraceFinding& f = *r.finding;
      const readers::TraceStep& s = steps[f.step];
      if (f.rule) {
        out += "FAIL    " + step_label(s) + ": write rule " + f.rule->id + ": " + f.rule->text + "\n";
        for (const rt::Fact& fact : f.facts) out += "        " + fact_line(fact) + "\n";
        out += "        step: " + changes(f, slots) + "\n";
        out += "        cite: " + std::string(f.rule->cite) + "\n";
        out += "        whose: the writer's: the CPU refuses this write (#GP); a VMM that makes it leaves a state no "
               "guest instruction could reach\n";
      } else {
        out += "FAIL    " + step_label(s) + ": the state the guest " +
               (s.by == readers::Writer::Vmm ? "resumes with after the VMM's writes" : "runs in after the write") +
               " fails " + std::to_string(f.checks.fail) + " check(s)\n";
        out += "        step: " + changes(f, slots) + "\n";
        for (const engine::CheckResult& c : f.checks.results) {
          if (c.verdict != rt::Verdict::Fail) continue;
          out += "        check " + std::string(c.info->id) + ": " + c.info->text + "\n";
          for (const rt::Fact& fact : c.facts) out += "          " + fact_line(fact) + "\n";
          out += "          cite: " + std::string(c.info->cite) + "\n";
          out += "          whose: " + engine::blame_text(c) + "\n";
        }
      }
    }
    size_t unchecked = steps.size() - r.steps_replayed;
    out += "replayed: " + std::to_string(r.steps_replayed) + " of " + std::to_string(steps.size()) + " steps (" +
           std::to_string(r.guest_writes) + " guest writes, " + std::to_string(r.vmm_writes) + " VMM writes, " +
           std::to_string(r.snapshots) + " snapshot(s)); write rules: " + std::to_string(r.rule_pass) + " pass, " +
           std::to_string(r.rule_na) + " n/a, " + std::to_string(r.rule_unknown) + " unknown" +
           (r.finding && r.finding->rule ? ", 1 fail" : "") + "; state checks at " + std::to_string(r.state_points) +
           " points" + (r.finding && !r.finding->rule ? ", failed at the last" : ", none failed") + "\n";
    if (unchecked) out += "   the " + std::to_string(unchecked) + " step(s) after the bad one are not checked: the CPU would have faulted there\n";
    for (size_t i = 0; i < r.undecided.size() && i < 5; ++i) out += "   undecided: " + r.undecided[i] + "\n";
    if (r.undecided.size() > 5) out += "   undecided: ... and " + std::to_string(r.undecided.size() - 5) + " more\n";
  }
  return out;
}

std::string trace_json(const readers::Trace& t, const std::vector<engine::TraceRun>& runs, readers::Slots slots,
                       const std::string& flavor, int exit_code) {
  nlohmann::ordered_json j;
  j["schema"] = kTraceSchema;
  j["file"] = t.file;
  j["format"] = t.format;
  j["flavor"] = flavor;
  j["notes"] = t.notes;
  j["vcpus"] = nlohmann::ordered_json::array();
  for (const engine::TraceRun& r : runs) {
    nlohmann::ordered_json v;
    v["name"] = r.vcpu->name;
    v["steps"] = r.vcpu->steps.size();
    v["replayed"] = r.steps_replayed;
    v["guest_writes"] = r.guest_writes;
    v["vmm_writes"] = r.vmm_writes;
    v["snapshots"] = r.snapshots;
    v["rules"] = {{"pass", r.rule_pass}, {"not_applicable", r.rule_na}, {"unknown", r.rule_unknown},
                  {"fail", r.finding && r.finding->rule ? 1 : 0}};
    v["state_points"] = r.state_points;
    v["undecided"] = r.undecided;
    if (r.finding) {
      const engine::TraceFinding& f = *r.finding;
      const readers::TraceStep& s = r.vcpu->steps[f.step];
      nlohmann::ordered_json b;
      b["step"] = s.step;
      b["line"] = s.line;
      b["op"] = s.op;
      b["by"] = s.by == readers::Writer::Guest ? "guest" : "vmm";
      b["changes"] = nlohmann::ordered_json::array();
      for (size_t i = 0; i < f.after.size(); ++i) {
        const rt::SlotInfo& sl = slots[f.after[i].first];
        b["changes"].push_back({{"field", sl.name},
                                {"value", rt::format_value(f.after[i].second, sl.width)},
                                {"was", f.before[i].second ? nlohmann::ordered_json(rt::format_value(*f.before[i].second, sl.width))
                                                           : nlohmann::ordered_json(nullptr)}});
      }
      auto facts = [](const std::vector<rt::Fact>& fs) {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        for (const rt::Fact& x : fs)
          a.push_back({{"field", x.field},
                       {"value", x.known ? nlohmann::ordered_json(rt::format_value(x.value, x.width)) : nlohmann::ordered_json(nullptr)},
                       {"expected", x.expected},
                       {"because", x.because}});
        return a;
      };
      if (f.rule) {
        b["kind"] = "write-rule";
        b["rule"] = {{"id", f.rule->id}, {"text", f.rule->text}, {"cite", f.rule->cite}, {"facts", facts(f.facts)}};
      } else {
        b["kind"] = "state-check";
        b["checks"] = nlohmann::ordered_json::array();
        for (const engine::CheckResult& c : f.checks.results)
          if (c.verdict == rt::Verdict::Fail)
            b["checks"].push_back({{"id", c.info->id}, {"text", c.info->text}, {"cite", c.info->cite},
                                   {"whose", engine::blame_name(c.blame)}, {"facts", facts(c.facts)}});
      }
      v["first_bad_step"] = b;
    } else {
      v["first_bad_step"] = nullptr;
    }
    j["vcpus"].push_back(v);
  }
  j["exit_code"] = exit_code;
  return j.dump(2) + "\n";
}

}  // namespace vcpuspec::report

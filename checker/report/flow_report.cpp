#include "report/flow_report.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "ir/ir.hpp"
#include "report/markdown.hpp"

namespace vcpuspec::report {

namespace {

std::string value(const smt::FieldValue& v) { return ir::format_value(v.value, v.width); }

std::string change_text(const smt::FieldChange& c) {
  return c.field + " " + ir::format_value(c.before, c.width) + " -> " + ir::format_value(c.after, c.width);
}

std::string inputs_text(const smt::FlowCounterexample& ce) {
  std::string out;
  for (const smt::FieldValue& v : ce.inputs)
    out += (out.empty() ? "" : ", ") + smt::input_name(v) + "=" + value(v);
  return out.empty() ? "(all defaults)" : out;
}

const char* status(const smt::FlowObligation& ob) {
  if (!ob.applicable) return "n/a";
  switch (ob.outcome) {
    case smt::Outcome::Proved: return "proved";
    case smt::Outcome::Failed: return "FAILED";
    case smt::Outcome::Unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

}  // namespace

std::string flows_text(const std::vector<smt::FlowObligation>& obs, bool verbose) {
  std::string out;
  std::string flow;
  std::map<std::string, std::map<std::string, size_t>> counts;
  for (const smt::FlowObligation& ob : obs) ++counts[ob.flow][status(ob)];
  for (const smt::FlowObligation& ob : obs) {
    if (ob.flow != flow) {
      flow = ob.flow;
      auto& c = counts[flow];
      out += "flow " + flow + " (" + ob.scope + (ob.kernel.empty() ? "" : ", kernel " + ob.kernel) + "): " +
             std::to_string(c["proved"]) + " proved, " + std::to_string(c["FAILED"]) + " failed, " +
             std::to_string(c["UNKNOWN"]) + " unknown, " + std::to_string(c["n/a"]) + " not applicable\n";
    }
    bool quiet = (ob.outcome == smt::Outcome::Proved || !ob.applicable) && !verbose;
    if (quiet) continue;
    out += "  " + std::string(status(ob)) + std::string(8 - std::string(status(ob)).size(), ' ') + ob.property +
           ": " + ob.text + "\n";
    if (ob.outcome == smt::Outcome::Unknown) out += "          reason: " + ob.reason + "\n";
    if (ob.outcome != smt::Outcome::Failed) continue;
    if (!ob.patch.empty()) out += "          fixed by: " + ob.patch + "\n";
    out += "          cite: " + ob.cite + "\n";
    out += "          broke: " + ob.ce.where + "\n";
    out += "          inputs: " + inputs_text(ob.ce) + "\n";
    for (const smt::StepRow& r : ob.ce.rows) {
      std::string head = "          " + std::string(r.broke ? "> " : "  ") + std::to_string(r.step) + ". " + r.text;
      if (r.changes.empty() && r.events.empty() && r.calls.empty()) {
        if (verbose) out += head + "  (no change)\n";
        continue;
      }
      out += head + "\n";
      for (const std::string& c : r.calls) out += "               via " + c + "\n";
      for (const smt::FieldChange& c : r.changes) out += "               " + change_text(c) + "\n";
      if (!r.events.empty()) {
        std::string ev;
        for (const std::string& e : r.events) ev += (ev.empty() ? "" : ", ") + e;
        out += "               events: " + ev + (r.broke && !ob.ce.broke_event.empty() ? "  <-- broken here" : "") +
               "\n";
      }
    }
    for (const smt::FieldChange& c : ob.ce.expected)
      out += "          final " + c.field + " = " + ir::format_value(c.after, c.width) + ", expected " +
             ir::format_value(c.before, c.width) + "\n";
  }
  return out;
}

std::string flows_json_array(const std::vector<smt::FlowObligation>& obs, int indent) {
  using nlohmann::ordered_json;
  ordered_json arr = ordered_json::array();
  for (const smt::FlowObligation& ob : obs) {
    ordered_json j;
    j["property"] = ob.property;
    j["flow"] = ob.flow;
    j["kernel"] = ob.kernel;
    j["scope"] = ob.scope;
    j["form"] = ob.form;
    j["text"] = ob.text;
    j["cite"] = ob.cite;
    j["patch"] = ob.patch;
    j["applicable"] = ob.applicable;
    j["outcome"] = smt::outcome_name(ob.outcome);
    if (!ob.reason.empty()) j["reason"] = ob.reason;
    if (ob.outcome == smt::Outcome::Failed) {
      ordered_json ce;
      ce["where"] = ob.ce.where;
      if (!ob.ce.broke_event.empty()) ce["event"] = ob.ce.broke_event;
      ordered_json inputs = ordered_json::array();
      for (const smt::FieldValue& v : ob.ce.inputs)
        inputs.push_back({{"role", v.role}, {"field", v.field}, {"value", value(v)}});
      ce["inputs"] = inputs;
      ordered_json steps = ordered_json::array();
      for (const smt::StepRow& r : ob.ce.rows) {
        ordered_json s;
        s["step"] = r.step;
        s["statement"] = r.text;
        s["calls"] = r.calls;
        ordered_json ch = ordered_json::array();
        for (const smt::FieldChange& c : r.changes)
          ch.push_back({{"field", c.field}, {"before", ir::format_value(c.before, c.width)},
                        {"after", ir::format_value(c.after, c.width)}});
        s["changes"] = ch;
        s["events"] = r.events;
        s["broke"] = r.broke;
        steps.push_back(s);
      }
      ce["steps"] = steps;
      ordered_json exp = ordered_json::array();
      for (const smt::FieldChange& c : ob.ce.expected)
        exp.push_back({{"field", c.field}, {"expected", ir::format_value(c.before, c.width)},
                       {"actual", ir::format_value(c.after, c.width)}});
      if (!exp.empty()) ce["final_mismatch"] = exp;
      j["counterexample"] = ce;
    }
    arr.push_back(j);
  }
  return arr.dump(indent);
}

std::string hazards_markdown(const std::vector<smt::FlowObligation>& obs, const std::string& spec_name) {
  // Properties in spec order; kernels in first-seen order.
  std::vector<std::string> props, kernels;
  std::map<std::string, const smt::FlowObligation*> first;
  std::map<std::pair<std::string, std::string>, std::vector<const smt::FlowObligation*>> cells;
  for (const smt::FlowObligation& ob : obs) {
    if (!first.count(ob.property)) {
      first[ob.property] = &ob;
      props.push_back(ob.property);
    }
    std::string k = ob.kernel.empty() ? "-" : ob.kernel;
    if (std::find(kernels.begin(), kernels.end(), k) == kernels.end()) kernels.push_back(k);
    cells[{ob.property, k}].push_back(&ob);
  }
  std::string out = "# Ordering hazards: KVM RESET/INIT flows\n\n";
  out += "Generated by `vcpuspec prove --report md` from " + spec_name +
         "; do not edit (tests regenerate it and compare).\n";
  out += "Each cell lists the flows of that kernel the property concerns: **counterexample** with the inputs "
         "that trigger it (start state and configuration off their defaults), or proved. Flows where no run meets "
         "the property's condition are left out (n/a). `vcpuspec prove --flow FLOW --property ID` prints the "
         "step table.\n\n";
  std::vector<std::string> columns = {"fixed by", "property"};
  columns.insert(columns.end(), kernels.begin(), kernels.end());
  out += md_table_head(columns);
  for (const std::string& p : props) {
    const smt::FlowObligation& f = *first[p];
    out += "| " + md_cell(f.patch.empty() ? "-" : f.patch) + " | **" + p + "** " + md_cell(f.text) + " |";
    for (const std::string& k : kernels) {
      std::string cell;
      bool all_na = true;
      for (const smt::FlowObligation* ob : cells[{p, k}]) all_na &= !ob->applicable;
      for (const smt::FlowObligation* ob : cells[{p, k}]) {
        if (!ob->applicable && !all_na) continue;  // flows the property does not concern
        std::string name = ob->flow.substr(ob->flow.find('.') + 1);
        std::string r = !ob->applicable                        ? "n/a"
                        : ob->outcome == smt::Outcome::Proved  ? "proved"
                        : ob->outcome == smt::Outcome::Unknown ? "unknown"
                                                               : "**counterexample** (" + md_cell(inputs_text(ob->ce)) + ")";
        cell += (cell.empty() ? "" : "<br>") + name + ": " + r;
      }
      out += " " + (all_na ? std::string("n/a") : cell.empty() ? std::string("-") : cell) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace vcpuspec::report

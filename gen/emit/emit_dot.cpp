#include "emit/emit_dot.hpp"
#include "emit/dot_text.hpp"

#include "ir/flow_exec.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace vcpuspec::emit {

namespace {


// A list as label text: items escaped, lines wrapped so nodes stay narrow,
// very long lists cut ("and 40 more").
std::string wrap_list(const std::vector<std::string>& items, size_t width = 70, size_t max_items = 14) {
  std::string out, line;
  size_t shown = 0;
  for (const std::string& raw : items) {
    if (shown++ == max_items) {
      line += " and " + std::to_string(items.size() - max_items) + " more";
      break;
    }
    std::string it = html(raw);
    std::string piece = (line.empty() ? "" : ", ") + it;
    if (!line.empty() && line.size() + piece.size() > width) {
      out += (out.empty() ? "" : "<br align=\"left\"/>") + line + ",";
      line = it;
    } else {
      line += piece;
    }
  }
  return out + (out.empty() ? "" : "<br align=\"left\"/>") + line;
}

// The name an op has in every kernel: vmx_5_10.set_cr0 -> set_cr0.
std::string short_op(const std::string& op) { return op.substr(op.rfind('.') + 1); }

// What one step does, read off the inlined code.
struct StepSummary {
  std::vector<std::string> writes, conditional_writes, calls, events;
  std::vector<std::string> branches;  // configuration, flow inputs and hypervisor variables its branches test
};

std::vector<StepSummary> summarize(const ir::Model& m, const ir::Flow& f) {
  std::vector<StepSummary> out(f.steps.size());
  std::vector<std::set<std::string>> seen(f.steps.size());
  std::map<ir::SlotId, ir::ExprPtr> temp_value;  // a temporary's first assignment
  for (const ir::Instr& in : f.code) {
    if (in.step >= out.size()) continue;
    StepSummary& s = out[in.step];
    if (in.guard) {
      // A guard reads temporaries (path conditions, `let`s, op formals): follow
      // them to what they were computed from.
      std::vector<ir::SlotId> todo;
      ir::collect_reads(*in.guard, todo);
      std::set<ir::SlotId> done;
      while (!todo.empty()) {
        ir::SlotId id = todo.back();
        todo.pop_back();
        if (!done.insert(id).second) continue;
        if (id >= m.slots.size()) {
          auto v = temp_value.find(id);
          if (v != temp_value.end()) ir::collect_reads(*v->second, todo);
          continue;
        }
        if (ir::is_state(m.slot(id).kind)) continue;  // the vCPU's own state: not a configuration branch
        const std::string& n = m.slot(id).name;
        if (std::find(s.branches.begin(), s.branches.end(), n) == s.branches.end()) s.branches.push_back(n);
      }
    }
    if (in.kind == ir::Instr::Kind::Assign && in.slot >= m.slots.size() && in.value) temp_value.emplace(in.slot, in.value);
    if (in.kind == ir::Instr::Kind::Assign && in.slot < m.slots.size()) {
      const ir::Slot& sl = m.slot(in.slot);
      std::string name = sl.group.empty() ? sl.name : sl.group;
      if (!seen[in.step].insert((in.guard ? "?" : "!") + name).second) continue;
      (in.guard ? s.conditional_writes : s.writes).push_back(name);
    } else if (in.kind == ir::Instr::Kind::Enter && f.calls[in.call].depth == 1) {
      if (std::find(s.calls.begin(), s.calls.end(), f.calls[in.call].op) == s.calls.end())
        s.calls.push_back(f.calls[in.call].op);
    } else if (in.kind == ir::Instr::Kind::Emit) {
      std::string e = m.events[in.event].name + (in.guard ? "?" : "");
      if (std::find(s.events.begin(), s.events.end(), e) == s.events.end()) s.events.push_back(e);
    }
  }
  // A register written both ways is shown once, as written.
  for (StepSummary& s : out)
    s.conditional_writes.erase(std::remove_if(s.conditional_writes.begin(), s.conditional_writes.end(),
                                              [&](const std::string& w) {
                                                return std::find(s.writes.begin(), s.writes.end(), w) !=
                                                       s.writes.end();
                                              }),
                               s.conditional_writes.end());
  return out;
}

const char* kHeader =
    "  graph [fontname=\"Helvetica\", fontsize=11, nodesep=0.3, ranksep=0.25, newrank=true];\n"
    "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#555555\", fontname=\"Helvetica\", "
    "fontsize=10, margin=\"0.12,0.06\"];\n"
    "  edge [color=\"#888888\", arrowsize=0.6];\n";

struct NodeStyle {
  std::string fill = "#ffffff";
  std::string border = "#555555";
  std::string extra;  // more label rows (HTML)
};

std::string node_label(const ir::Flow& f, uint32_t k, const StepSummary& s, const std::set<std::string>& red_ops,
                       const NodeStyle& st) {
  std::string label = "<<table border=\"0\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"1\">";
  label += "<tr><td align=\"left\"><b>" + std::to_string(k + 1) + ". " + html(f.steps[k].text) + "</b></td></tr>";
  if (!s.calls.empty()) {
    std::vector<std::string> shown;
    for (const std::string& c : s.calls)
      shown.push_back(red_ops.count(short_op(c)) ? c + " (reordered)" : c);
    label += "<tr><td align=\"left\">calls " + wrap_list(shown) + "</td></tr>";
  }
  if (!s.branches.empty())
    label += "<tr><td align=\"left\"><font color=\"#9a5b00\">branches on " + wrap_list(s.branches) + "</font></td></tr>";
  if (!s.writes.empty()) label += "<tr><td align=\"left\">writes " + wrap_list(s.writes) + "</td></tr>";
  if (!s.conditional_writes.empty())
    label += "<tr><td align=\"left\"><i>may write " + wrap_list(s.conditional_writes) + "</i></td></tr>";
  if (!s.events.empty())
    label += "<tr><td align=\"left\"><font color=\"#1f618d\">events " + wrap_list(s.events) +
             "</font></td></tr>";
  label += st.extra + "</table>>";
  return label;
}

std::string flow_nodes(const ir::Model& m, const ir::Flow& f, const std::string& prefix,
                       const std::set<std::string>& red_ops, const std::vector<NodeStyle>* styles) {
  std::vector<StepSummary> sum = summarize(m, f);
  std::string out;
  for (uint32_t k = 0; k < f.steps.size(); ++k) {
    NodeStyle st = styles ? (*styles)[k] : NodeStyle{};
    out += "  " + prefix + std::to_string(k) + " [label=" + node_label(f, k, sum[k], red_ops, st) +
           ", fillcolor=\"" + st.fill + "\", color=\"" + st.border + "\"];\n";
  }
  for (uint32_t k = 0; k + 1 < f.steps.size(); ++k)
    out += "  " + prefix + std::to_string(k) + " -> " + prefix + std::to_string(k + 1) + ";\n";
  return out;
}

std::string title(const ir::Flow& f) {
  return html(f.name) + "<br/><font point-size=\"9\">" + html(f.scope + (f.kernel.empty() ? "" : ", kernel " + f.kernel)) +
         " · " + html(f.cite) + "</font>";
}

// A concrete INIT to compare two flows on: configuration at its defaults,
// the vCPU in its RESET state, every var at its default.
ir::Values canonical_init(const ir::Model& m) {
  ir::Values v(m.slots.size(), 0);
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    if (s.kind == ir::SlotKind::FlowParam) v[id] = s.name == "init" ? 1 : 0;
    else if (!ir::is_flow_state(s.kind)) v[id] = s.default_value ? *s.default_value : s.range ? s.range->first : 0;
  }
  if (const ir::StateDef* st = m.reset_state()) {
    std::vector<uint64_t> care;
    ir::Values reset = ir::apply_state(m, *st, v, care);
    for (ir::SlotId id = 0; id < m.slots.size(); ++id)
      if (ir::is_state(m.slot(id).kind)) v[id] = reset[id];
  }
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& s = m.slot(id);
    if (s.kind != ir::SlotKind::Var) continue;
    v[id] = s.start_default ? ir::evaluate(*s.start_default, v, &v) : s.default_value.value_or(0);
  }
  return v;
}

// Ops in the order they run in that INIT; an op whose order against another
// differs between the two flows is "reordered".
std::set<std::string> reordered_ops(const ir::Model& m, const ir::Flow& a, const ir::Flow& b) {
  ir::Values in = canonical_init(m);
  auto order = [&](const ir::Flow& f) {
    ir::FlowTrace t = ir::run_flow(m, f, in);
    std::map<std::string, size_t> pos;
    for (const auto& step : t.calls)
      for (uint32_t c : step) pos.emplace(short_op(f.calls[c].op), pos.size());
    return pos;
  };
  std::map<std::string, size_t> pa = order(a), pb = order(b);
  std::set<std::string> out;
  for (const auto& [x, ax] : pa)
    for (const auto& [y, ay] : pa) {
      if (x >= y || !pb.count(x) || !pb.count(y)) continue;
      if ((ax < ay) != (pb[x] < pb[y])) {
        out.insert(x);
        out.insert(y);
      }
    }
  return out;
}

}  // namespace

std::string flow_dot(const ir::Model& m, const ir::Flow& f) {
  std::string out = "// generated by vcpuspec render flow " + f.name + "\ndigraph flow {\n" + kHeader;
  out += "  labelloc=t; label=<" + title(f) + ">;\n";
  out += flow_nodes(m, f, "s", {}, nullptr);
  return out + "}\n";
}

std::string counterexample_dot(const ir::Model& m, const ir::Flow& f, const smt::FlowObligation& ob) {
  std::vector<NodeStyle> styles(f.steps.size());
  for (const smt::StepRow& r : ob.ce.rows) {
    if (r.step == 0 || r.step > styles.size()) continue;
    NodeStyle& st = styles[r.step - 1];
    bool did = !r.changes.empty() || !r.events.empty() || !r.calls.empty();
    if (did) st.fill = "#eaf2f8";
    std::vector<std::string> ch;
    for (const smt::FieldChange& c : r.changes)
      ch.push_back(c.field + " " + ir::format_value(c.before, c.width) + "→" + ir::format_value(c.after, c.width));
    if (!ch.empty())
      st.extra += "<tr><td align=\"left\"><font color=\"#117a65\">" + wrap_list(ch) + "</font></td></tr>";
    if (r.broke) {
      st.fill = "#fadbd8";
      st.border = "#c0392b";
      st.extra += "<tr><td align=\"left\"><font color=\"#c0392b\"><b>broken here" +
                  (ob.ce.broke_event.empty() ? std::string() : ": event " + html(ob.ce.broke_event)) +
                  "</b></font></td></tr>";
    }
  }
  std::string out = "// generated by vcpuspec render counterexample --flow " + f.name + " --property " +
                    ob.property + "\ndigraph counterexample {\n" + kHeader;
  out += "  labelloc=t; label=<" + title(f) + ">;\n";
  out += flow_nodes(m, f, "s", {}, &styles);
  // The failing path in red: the edges into and out of steps that did something.
  std::vector<std::string> input_list;
  for (const smt::FieldValue& v : ob.ce.inputs)
    input_list.push_back(smt::input_name(v) + "=" + ir::format_value(v.value, v.width));
  std::vector<std::string> fin;
  for (const smt::FieldChange& c : ob.ce.expected)
    fin.push_back(c.field + " = " + ir::format_value(c.after, c.width) + ", expected " +
                  ir::format_value(c.before, c.width));
  out += "  legend [shape=note, fillcolor=\"#fdfefe\", color=\"#c0392b\", label=<<table border=\"0\" "
         "cellborder=\"0\" cellspacing=\"0\" cellpadding=\"1\">"
         "<tr><td align=\"left\"><b><font color=\"#c0392b\">FAILED " +
         html(ob.property) + "</font></b></td></tr><tr><td align=\"left\">" + html(ob.text) +
         "</td></tr><tr><td align=\"left\">broke " + html(ob.ce.where) + "</td></tr><tr><td align=\"left\">inputs " +
         wrap_list(input_list) + "</td></tr>" +
         (fin.empty() ? "" : "<tr><td align=\"left\">" + wrap_list(fin) + "</td></tr>") +
         // A property without a `patch` names no fix.
         (ob.patch.empty() ? "" : "<tr><td align=\"left\"><font point-size=\"9\">fixed by " + html(ob.patch) + "</font></td></tr>") +
         "<tr><td align=\"left\"><font point-size=\"9\">cite " + html(ob.cite) +
         "</font></td></tr></table>>];\n";
  out += "  { rank=min; legend; }\n";
  return out + "}\n";
}

std::string compare_dot(const ir::Model& m, const ir::Flow& a, const ir::Flow& b) {
  std::set<std::string> red = reordered_ops(m, a, b);
  std::string out = "// generated by vcpuspec render flow " + a.name + " --compare " + b.name +
                    "\ndigraph compare {\n" + kHeader;
  std::string moved;
  for (const std::string& r : red) moved += (moved.empty() ? "" : ", ") + r;
  out += "  labelloc=t; label=<" + html(a.name) + " vs " + html(b.name) +
         (moved.empty() ? std::string("<br/>same order of operations")
                        : "<br/><font color=\"#c0392b\">reordered (in an INIT from the RESET state): " +
                              html(moved) + "</font>") +
         ">;\n";
  out += "  subgraph cluster_a {\n  label=<" + title(a) + ">; color=\"#bbbbbb\";\n" + flow_nodes(m, a, "a", red, nullptr) +
         "  }\n";
  out += "  subgraph cluster_b {\n  label=<" + title(b) + ">; color=\"#bbbbbb\";\n" + flow_nodes(m, b, "b", red, nullptr) +
         "  }\n";
  return out + "}\n";
}

}  // namespace vcpuspec::emit

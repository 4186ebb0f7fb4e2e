// DOT text for the CPU mode machine (emit_dot.hpp: modes_dot). The edges are
// Z3's; this file only decides how to draw them readably: modes that share
// CR0.PE=1 sit in one box, modes that share CR0.PG and EFER.LMA in a smaller
// one, and a write that links every member of a box to one mode (or box) is
// one arrow to the box's border instead of one per member.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "emit/dot_text.hpp"
#include "emit/emit_dot.hpp"

namespace vcpuspec::emit {

namespace {

using smt::ModeEdge;
using smt::ModeMachine;

std::string node_name(const std::string& id) {
  std::string n;
  for (char c : id) n += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return n;
}

// Signals to the CPU (blue): RESET and the spec's `signal`s, not instructions.
bool is_signal(const std::string& write, const std::set<std::string>& signals) {
  return write.rfind("RESET", 0) == 0 || signals.count(write);
}

// An edge label: one write per line; a refused write "W: #GP" with its rules.
struct Label {
  std::vector<std::string> writes;
  std::vector<std::string> rules;
  bool refused = false;
  bool operator<(const Label& o) const { return std::tie(refused, writes, rules) < std::tie(o.refused, o.writes, o.rules); }
  bool operator==(const Label& o) const { return refused == o.refused && writes == o.writes && rules == o.rules; }
};

// What an SVG viewer shows on hover: each write's citation.
std::string tooltip(const Label& l, const std::map<std::string, std::string>& cite_of) {
  std::string t;
  for (const std::string& w : l.writes) {
    auto it = cite_of.find(w);
    t += (t.empty() ? "" : "&#10;") + html(w) + (it == cite_of.end() ? "" : ": " + html(it->second));
  }
  return ", tooltip=\"" + t + "\"";
}

std::string attrs(const Label& l, const std::set<std::string>& signals) {
  std::string text;
  for (const std::string& w : l.writes) text += (text.empty() ? "" : "<br/>") + html(w);
  if (l.refused) {
    text += ": #GP";
    for (const std::string& r : l.rules) text += "<br/><font point-size=\"8\">" + html(r) + "</font>";
    return "label=<" + text + ">, style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", constraint=false";
  }
  bool events = std::all_of(l.writes.begin(), l.writes.end(), [&](const std::string& w) { return is_signal(w, signals); });
  return "label=<" + text + ">" + (events ? ", color=\"#1f618d\", fontcolor=\"#1f618d\"" : "");
}

// A box of modes; `members` sorted. The outer box holds every CR0.PE=1 mode.
struct Box {
  std::string name, label;
  std::vector<size_t> members;
};

}  // namespace

std::string modes_dot(const ir::Model& m, const ModeMachine& mm) {
  const size_t n = mm.modes.size();
  const size_t reset = n;  // the power-up node's index
  auto name_of = [&](size_t i) { return i == reset ? std::string("reset") : node_name(mm.modes[i].id); };

  // The boxes, innermost first.
  std::vector<Box> boxes;
  std::map<std::string, std::vector<size_t>> groups;
  std::vector<size_t> outer;
  for (size_t i = 0; i < n; ++i)
    if (!mm.modes[i].box.empty()) {
      outer.push_back(i);
      if (!mm.modes[i].group.empty()) groups[mm.modes[i].group].push_back(i);
    }
  for (auto& [facts, members] : groups)
    if (members.size() > 1 && members.size() < outer.size())
      boxes.push_back({"cluster_" + std::to_string(boxes.size()), html(facts), members});
  std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.members.front() < b.members.front(); });
  for (size_t k = 0; k < boxes.size(); ++k) boxes[k].name = "cluster_" + std::to_string(k);
  if (outer.size() > 1) boxes.push_back({"cluster_protected", "protected mode (CR0.PE=1)", outer});

  std::map<std::string, std::string> cite_of;
  std::set<std::string> signals;
  for (const smt::ModeWriteInfo& w : mm.writes) {
    cite_of[w.label] = w.cite;
    if (w.signal) signals.insert(w.label);
  }
  cite_of["RESET (BSP)"] = cite_of["RESET (AP)"] = "the spec's RESET state (spec/arch/reset.vspec)";

  // Every (from, to, write) Z3 found; refused writes keep their rules.
  std::set<std::tuple<size_t, size_t, Label>> triples;
  std::vector<Label> order;  // labels in the order the machine lists writes
  for (const ModeEdge& e : mm.edges) {
    size_t from = e.from == ModeEdge::kResetNode ? reset : e.from;
    if (e.refused) {
      Label l{e.writes, e.rules, true};
      triples.insert({from, e.to, l});
      if (std::find(order.begin(), order.end(), l) == order.end()) order.push_back(l);
    } else {
      for (const std::string& w : e.writes) {
        Label l{{w}, {}, false};
        triples.insert({from, e.to, l});
        if (std::find(order.begin(), order.end(), l) == order.end()) order.push_back(l);
      }
    }
  }

  // Fold: a label that joins every member of one unit to every member of
  // another (a unit is a box or one mode) becomes one arrow. Big units first.
  struct Unit {
    std::vector<size_t> members;
    const Box* box = nullptr;
  };
  std::vector<Unit> units;
  for (const Box& b : boxes) units.push_back({b.members, &b});
  for (size_t i = 0; i <= n; ++i) units.push_back({{i}, nullptr});
  struct Arrow {
    const Unit* from;
    const Unit* to;
    std::vector<Label> labels;
  };
  std::vector<Arrow> folded;
  auto disjoint = [](const Unit& a, const Unit& b) {
    for (size_t x : a.members)
      if (std::find(b.members.begin(), b.members.end(), x) != b.members.end()) return false;
    return true;
  };
  std::vector<std::pair<const Unit*, const Unit*>> pairs;
  for (const Unit& a : units)
    for (const Unit& b : units)
      if ((a.box || b.box) && disjoint(a, b)) pairs.emplace_back(&a, &b);
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
    return x.first->members.size() * x.second->members.size() > y.first->members.size() * y.second->members.size();
  });
  for (const auto& [a, b] : pairs) {
    Arrow arrow{a, b, {}};
    for (const Label& l : order) {
      bool all = true;
      for (size_t x : a->members)
        for (size_t y : b->members) all = all && triples.count({x, y, l});
      if (!all) continue;
      for (size_t x : a->members)
        for (size_t y : b->members) triples.erase({x, y, l});
      arrow.labels.push_back(l);
    }
    if (!arrow.labels.empty()) folded.push_back(arrow);
  }
  // What is left: one arrow per (from, to), its labels in table order.
  std::map<std::pair<size_t, size_t>, std::vector<Label>> single;
  for (const Label& l : order)
    for (const auto& [x, y, lab] : triples)
      if (lab == l) single[{x, y}].push_back(l);

  // Text.
  size_t solid = 0, refused = 0;
  for (const ModeEdge& e : mm.edges) (e.refused ? refused : solid)++;
  std::string out =
      "// generated by vcpuspec render modes: the edges are Z3's (spec/arch/modes.vspec, the checks, the write rules)\n"
      "digraph modes {\n"
      "  graph [fontname=\"Helvetica\", fontsize=11, rankdir=LR, nodesep=0.35, ranksep=1.0, newrank=true, compound=true];\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#555555\", fontname=\"Helvetica\", "
      "fontsize=10, margin=\"0.12,0.06\"];\n"
      "  edge [color=\"#555555\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=9];\n";
  out += "  labelloc=t; label=<<b>x86 operating modes</b><br/><font point-size=\"9\">derived by Z3 from spec/arch/modes.vspec: " +
         std::to_string(n) + " modes, proved disjoint and covering every legal state; " + std::to_string(solid) +
         " transitions (solid), " + std::to_string(refused) + " refused (dashed red); " + std::to_string(mm.queries) +
         " queries</font>>;\n";
  auto node = [&](size_t i) {
    const auto& md = mm.modes[i];
    return "  " + name_of(i) + " [label=<<b>" + html(md.text) + "</b><br/><font point-size=\"8\" color=\"#666666\">" +
           html(md.id) + "</font>>, tooltip=\"" + html(md.cite) + "\"];\n";
  };
  out += "  reset [label=\"power-up\\nRESET\", shape=circle, fillcolor=\"#1f618d\", fontcolor=\"#ffffff\", "
         "color=\"#1f618d\", fontsize=9, width=0.8, fixedsize=true];\n";
  // Boxes nest: the outer one holds the inner ones and the rest of its members.
  std::set<size_t> in_inner;
  for (const Box& b : boxes)
    if (b.name != "cluster_protected") in_inner.insert(b.members.begin(), b.members.end());
  for (size_t i = 0; i < n; ++i)
    if (mm.modes[i].box.empty() || outer.size() <= 1) out += node(i);
  if (outer.size() > 1) {
    out += "  subgraph cluster_protected {\n    label=<protected mode (CR0.PE=1)>; style=rounded; color=\"#999999\"; fontsize=10;\n";
    for (const Box& b : boxes) {
      if (b.name == "cluster_protected") continue;
      out += "    subgraph " + b.name + " {\n      label=<" + b.label + ">; labeljust=r; style=\"rounded,dashed\"; color=\"#bbbbbb\"; fontsize=9;\n";
      for (size_t i : b.members) out += "    " + node(i);
      out += "    }\n";
    }
    for (size_t i : outer)
      if (!in_inner.count(i)) out += node(i);
    out += "  }\n";
  }
  auto join = [](const std::vector<Label>& ls) {
    Label all;
    for (const Label& l : ls) {
      all.writes.insert(all.writes.end(), l.writes.begin(), l.writes.end());
      all.rules.insert(all.rules.end(), l.rules.begin(), l.rules.end());
      all.refused = l.refused;
    }
    return all;
  };
  auto emit = [&](size_t from, size_t to, const std::vector<Label>& ls, const std::string& extra, bool both) {
    // Solid and refused labels never share an arrow.
    for (bool r : {false, true}) {
      std::vector<Label> part;
      for (const Label& l : ls)
        if (l.refused == r) part.push_back(l);
      if (part.empty()) continue;
      Label all = join(part);
      out += "  " + name_of(from) + " -> " + name_of(to) + " [" + attrs(all, signals) + tooltip(all, cite_of) + extra +
             (both ? ", dir=both" : "") + "];\n";
    }
  };
  // Two solid arrows with the same labels both ways are drawn as one.
  auto solid_of = [&](size_t from, size_t to) {
    std::vector<Label> part;
    auto it = single.find({from, to});
    if (it != single.end())
      for (const Label& l : it->second)
        if (!l.refused) part.push_back(l);
    return part;
  };
  std::set<std::pair<size_t, size_t>> merged;
  for (const auto& [key, ls] : single) {
    std::vector<Label> here = solid_of(key.first, key.second), refused_here;
    for (const Label& l : ls)
      if (l.refused) refused_here.push_back(l);
    if (!here.empty() && !merged.count(key)) {
      bool both = key.first != reset && solid_of(key.second, key.first) == here;
      if (both) merged.insert({key.second, key.first});
      emit(key.first, key.second, here, "", both);
    }
    if (!refused_here.empty()) emit(key.first, key.second, refused_here, "", false);
  }
  std::set<size_t> folded_done;
  for (size_t k = 0; k < folded.size(); ++k) {
    if (folded_done.count(k)) continue;
    const Arrow& a = folded[k];
    bool both = false;
    for (size_t j = k + 1; j < folded.size(); ++j)
      if (folded[j].from == a.to && folded[j].to == a.from && folded[j].labels == a.labels) {
        both = true;
        folded_done.insert(j);
      }
    std::string extra;
    if (a.from->box) extra += ", ltail=" + a.from->box->name;
    if (a.to->box) extra += ", lhead=" + a.to->box->name;
    emit(a.from->members.front(), a.to->members.front(), a.labels, extra, both);
  }
  // The legend: what each refused write breaks, in the rule's words.
  if (!mm.rules.empty()) {
    out += "  legend [shape=note, fillcolor=\"#fdfefe\", color=\"#c0392b\", fontsize=9, label=<<table border=\"0\" "
           "cellborder=\"0\" cellspacing=\"0\" cellpadding=\"1\"><tr><td align=\"left\"><b><font color=\"#c0392b\">"
           "refused writes (dashed): the CPU faults (#GP) and stays where it was</font></b></td></tr>";
    for (const std::string& id : mm.rules)
      if (const ir::Transition* t = m.find_transition(id))
        out += "<tr><td align=\"left\"><b>" + html(id) + "</b> " + html(t->text) + "</td></tr>";
    out += "<tr><td align=\"left\"><font point-size=\"8\">blue: events (RESET, INIT, SIPI, SMI, RSM, triple fault); "
           "grey: instructions; an arrow to a box's border: from or to every mode in it</font></td></tr></table>>];\n";
  }
  return out + "}\n";
}

}  // namespace vcpuspec::emit

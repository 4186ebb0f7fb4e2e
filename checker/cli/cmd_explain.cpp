// vcpuspec explain: what a check says, in the spec's own words.
#include <iostream>
#include <memory>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "engine/run_checks.hpp"
#include "ir/flow.hpp"
#include "report/names_report.hpp"
#include "report/witness_report.hpp"
#include "runtime/nearest.hpp"
#include "z3/witness.hpp"

namespace vcpuspec::cli {

namespace {

struct ExplainArgs {
  std::string id;
  bool list = false;
  bool fields = false;
  std::string scope;
};

// One line per citation a reader can open: the source, then its link.
void print_sources(const std::vector<Citation>& sources) {
  const char* label = "  sources:   ";
  for (const Citation& c : sources) {
    Citation plain = c;
    plain.detail.clear();
    std::cout << label << render(plain) << "  " << citation_url(c) << "\n";
    label = "             ";
  }
}

// A flow property: the predicate in DSL form, its condition, its fix.
void explain_property(const ir::Model& m, const ir::Property& p) {
  std::cout << p.id << ": " << p.text << "\n  scope:     " << p.scope << "\n";
  if (p.when) std::cout << "  when:      " << ir::print_in_flow(m, nullptr, *p.when) << "\n";
  std::cout << "  form:      " << ir::form_name(p.form);
  switch (p.form) {
    case ir::Property::Form::AtEvent:
      std::cout << " " << m.events[p.event].name << ": " << ir::print_in_flow(m, nullptr, *p.body);
      break;
    case ir::Property::Form::Order:
      std::cout << " " << m.events[p.event].name << " before " << m.events[p.before_event].name;
      break;
    case ir::Property::Form::FinallyIn: {
      std::cout << " " << p.state->name;
      std::string except;
      for (const auto& [slot, bits] : p.except) except += (except.empty() ? "" : ", ") + m.slot(slot).name;
      if (!except.empty()) std::cout << " except " << except;
      break;
    }
    default: std::cout << " " << ir::print_in_flow(m, nullptr, *p.body); break;
  }
  std::cout << "\n  cite:      " << p.cite << "\n";
  print_sources(p.sources);
  if (!p.patch.empty()) std::cout << "  fixed by:  " << p.patch << "\n";
  if (!p.note.empty()) std::cout << "  note:      " << p.note << "\n";
  std::string flows;
  for (const auto& f : m.flows)
    if (ir::property_applies(p, *f)) flows += (flows.empty() ? "" : ", ") + f->name;
  std::cout << "  flows:     " << flows << "\n  prove it:  vcpuspec prove --property " << p.id << "\n";
}

void explain_flow(const ir::Flow& f) {
  std::cout << f.name << ": " << f.doc << "\n  scope:     " << f.scope << "\n  kernel:    " << f.kernel
            << "\n  cite:      " << f.cite << "\n";
  print_sources(f.sources);
  std::cout << "  steps:\n";
  for (size_t i = 0; i < f.steps.size(); ++i) std::cout << "    " << i + 1 << ". " << f.steps[i].text << "\n";
}

// A write of the mode machine: its label, what it applies to, its program.
void explain_instruction(const ir::Instruction& in) {
  std::cout << in.id << ": " << in.label << "\n  kind:      "
            << (in.signal ? "signal: an event that reaches the CPU" : "instruction") << ", a write of the mode machine\n";
  std::string on;
  for (const std::string& r : in.on) on += (on.empty() ? "" : ", ") + r;
  if (!on.empty()) std::cout << "  on:        " << on << " (the write rules on these apply)\n";
  std::cout << "  cite:      " << in.cite << "\n";
  print_sources(in.sources);
  if (!in.note.empty()) std::cout << "  note:      " << in.note << "\n";
  std::cout << "  steps:     (`old.` is the state before it)\n";
  for (size_t i = 0; i < in.program.steps.size(); ++i)
    std::cout << "    " << i + 1 << ". " << in.program.steps[i].text << "\n";
  std::cout << "  draw it:   vcpuspec render modes\n";
}

int run_explain(const ExplainArgs& a) {
  int exit = kOk;
  auto spec = load_spec({}, exit);
  if (!spec) return exit;
  const ir::Model& m = *spec->model;
  if (a.fields) {
    std::vector<report::ModeName> modes;
    for (const ir::Mode& md : m.modes) modes.push_back({md.id, md.text});
    std::cout << report::names_text(readers::Slots(generated::kSlots, generated::kNumSlots), modes);
    return kOk;
  }
  if (a.list || a.id.empty()) {
    if (!a.list) {
      std::cerr << "vcpuspec: error: explain needs a check id, --list or --fields\n";
      return kUsage;
    }
    for (size_t i = 0; i < generated::kNumChecks; ++i) {
      const rt::CheckInfo& c = generated::kChecks[i];
      if (!a.scope.empty() && a.scope != c.scope) continue;
      std::cout << c.id << "  [" << c.scope << "]  " << c.text << "\n    cite: " << c.cite << "\n";
    }
    for (size_t i = 0; i < generated::kNumTransitions; ++i) {
      const rt::TransitionInfo& t = generated::kTransitions[i];
      if (!a.scope.empty() && a.scope != t.scope) continue;
      std::cout << t.id << "  [transition on " << t.on_names << ", " << t.scope << "]  " << t.text
                << "\n    cite: " << t.cite << "\n";
    }
    for (const ir::NonCheck& n : m.nonchecks) {
      if (!a.scope.empty() && a.scope != n.scope) continue;
      std::cout << n.id << "  [noncheck, " << n.scope << "]  " << n.text << "\n    cite: " << n.cite << "\n";
    }
    for (const auto& p : m.properties) {
      if (!a.scope.empty() && a.scope != p->scope) continue;
      std::cout << p->id << "  [property, " << p->scope << "]  " << p->text << "\n    cite: " << p->cite << "\n";
    }
    if (a.scope.empty())
      for (const auto& f : m.flows)
        std::cout << f->name << "  [flow, " << f->scope << ", " << f->kernel << "]  " << f->doc << "\n    cite: " << f->cite << "\n";
    if (a.scope.empty() || a.scope == "arch") {
      for (const ir::Mode& md : m.modes) std::cout << md.id << "  [mode]  " << md.text << "\n    cite: " << md.cite << "\n";
      for (const auto& in : m.instructions)
        std::cout << in->id << "  [" << (in->signal ? "signal" : "instruction") << "]  " << in->label
                  << "\n    cite: " << in->cite << "\n";
    }
    return kOk;
  }
  for (const auto& in : m.instructions)
    if (in->id == a.id) {
      explain_instruction(*in);
      return kOk;
    }
  for (const ir::Mode& md : m.modes)
    if (md.id == a.id) {
      std::cout << md.id << ": " << md.text << "\n  kind:      mode: an operating mode of the CPU\n  holds:     "
                << ir::print(m, *md.pred) << "\n  cite:      " << md.cite << "\n";
      print_sources(md.sources);
      if (!md.note.empty()) std::cout << "  note:      " << md.note << "\n";
      std::cout << "  draw it:   vcpuspec render modes\n";
      return kOk;
    }
  for (const auto& p : m.properties)
    if (p->id == a.id) {
      explain_property(m, *p);
      return kOk;
    }
  for (const auto& f : m.flows)
    if (f->name == a.id) {
      explain_flow(*f);
      return kOk;
    }
  for (size_t i = 0; i < generated::kNumChecks; ++i) {
    const rt::CheckInfo& c = generated::kChecks[i];
    if (a.id != c.id) continue;
    std::cout << c.id << ": " << c.text << "\n  scope:     " << c.scope << "\n  question:  " << c.question
              << (engine::answers_entry(c) ? ": a failure means the VM entry or VMRUN would fail\n"
                                           : ": a failure means no CPU is in this state by itself\n");
    if (*c.when) std::cout << "  when:      " << c.when << "\n";
    std::cout << "  assert:    " << c.predicate << "\n  cite:      " << c.cite << "\n";
    const ir::Check* ic = m.find_check(c.id);
    if (ic) print_sources(ic->sources);
    if (*c.note) std::cout << "  note:      " << c.note << "\n";
    if (ic) {
      if (!ic->overlaps.empty()) {
        std::string list;
        for (const std::string& d : ic->overlaps) list += (list.empty() ? "" : ", ") + d;
        std::cout << "  overlaps:  " << list << "\n";
      }
      std::cout << "  witnesses: a passing and a failing state from Z3\n"
                << report::witness_text(m, *ic, smt::find_witness(m, *ic, {}), "    ");
    }
    return kOk;
  }
  for (size_t i = 0; i < generated::kNumTransitions; ++i) {
    const rt::TransitionInfo& t = generated::kTransitions[i];
    if (a.id != t.id) continue;
    std::cout << t.id << ": " << t.text << "\n  scope:     " << t.scope
              << "\n  kind:      transition: a rule about one write; `old.` is the state before it\n"
              << "  on:        a write to " << t.on_names << "\n";
    if (*t.when) std::cout << "  when:      " << t.when << "\n";
    std::cout << "  assert:    " << t.predicate << "\n  cite:      " << t.cite << "\n";
    const ir::Transition* it = m.find_transition(t.id);
    if (it) print_sources(it->sources);
    if (it && !it->overlaps.empty()) {
      std::string list;
      for (const std::string& d : it->overlaps) list += (list.empty() ? "" : ", ") + d;
      std::cout << "  overlaps:  " << list << " (state checks that imply it on the state after the write)\n";
    }
    if (*t.note) std::cout << "  note:      " << t.note << "\n";
    return kOk;
  }
  for (const ir::NonCheck& n : m.nonchecks)
    if (n.id == a.id) {
      std::cout << n.id << ": " << n.text << "\n  scope:     " << n.scope
                << "\n  kind:      noncheck: hardware does not check this; vcpuspec never reports it\n  cite:      " << n.cite
                << "\n";
      print_sources(n.sources);
      if (!n.note.empty()) std::cout << "  note:      " << n.note << "\n";
      return kOk;
    }
  std::vector<std::string> names;
  for (const auto& in : m.instructions) names.push_back(in->id);
  for (const ir::Mode& md : m.modes) names.push_back(md.id);
  for (const auto& p : m.properties) names.push_back(p->id);
  for (const auto& f : m.flows) names.push_back(f->name);
  for (size_t i = 0; i < generated::kNumChecks; ++i) names.push_back(generated::kChecks[i].id);
  for (size_t i = 0; i < generated::kNumTransitions; ++i) names.push_back(generated::kTransitions[i].id);
  for (const ir::NonCheck& n : m.nonchecks) names.push_back(n.id);
  const std::string near = support::nearest(a.id, names);
  std::cerr << "vcpuspec: error: no check, transition, property, flow, mode or instruction '" << a.id << "'"
            << (near.empty() ? "" : "; did you mean '" + near + "'?") << " (see 'vcpuspec explain --list')\n";
  return kUsage;
}

}  // namespace

std::function<int()> add_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  app.add_option("id", a->id, "a check (ARCH.CR0.NW_NEEDS_CD), property (H3.LMA_FROM_OLD_CR0), flow, mode or instruction (MOV_CR0)");
  app.add_flag("--list", a->list, "list every check, property, flow, mode and instruction with its scope and citation");
  app.add_flag("--fields", a->fields,
               "list every name an input or --set gives: state fields, CPU parameters and features, controls, and the modes "
               "(docs/names.md adds which input formats fill each)")
      ->excludes("--list");
  app.add_option("--scope", a->scope, "with --list: only this scope")
      ->check(CLI::IsMember({"arch", "vmx", "svm", "common"}));
  return [a] { return run_explain(*a); };
}

}  // namespace vcpuspec::cli

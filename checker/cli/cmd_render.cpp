// vcpuspec render: flows, two flows side by side, counterexamples, the CPU
// mode machine (derived by Z3), as DOT,
// SVG or PNG. The DOT text comes from gen/emit (deterministic); libgvc lays
// it out and renders it.
#include <fstream>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "emit/emit_dot.hpp"
#include "ir/flow.hpp"
#include "render/render.hpp"
#include "z3/flow_prove.hpp"
#include "z3/mode_machine.hpp"

namespace vcpuspec::cli {

namespace {

struct RenderArgs {
  std::string kind;  // flow | counterexample | modes
  std::string name;  // the flow, for `render flow`
  std::string compare;
  std::string flow, property;
  std::string output;
  std::string format;
  std::vector<std::string> specs;  // --spec: files or directories (default: the built-in spec)
};

// --format, else -o's extension (.gv is DOT too), else DOT. An extension
// no format matches is refused: DOT written into x.pdf would look like a
// PDF that does not open. "" when refused.
std::string format_for(const RenderArgs& a) {
  if (!a.format.empty()) return a.format;
  const std::string name = std::filesystem::path(a.output).filename().string();
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return "dot";
  const std::string ext = name.substr(dot + 1);
  if (ext == "gv") return "dot";
  for (const char* f : {"dot", "svg", "png", "pdf"})
    if (ext == f) return f;
  return "";
}

const ir::Flow* find_flow(const ir::Model& m, const std::string& name, const char* what) {
  for (const auto& f : m.flows)
    if (f->name == name) return f.get();
  std::cerr << "vcpuspec: error: " << what << " " << name << ": the spec has no such flow (see 'vcpuspec explain --list')\n";
  return nullptr;
}

int run_render(const RenderArgs& a) {
  std::string format = format_for(a);
  if (format.empty()) {
    std::cerr << "vcpuspec: error: -o " << a.output << ": its extension names no format vcpuspec writes (.dot, .gv, .svg, "
              << ".png, .pdf); give --format\n";
    return kUsage;
  }
  if (format != "dot" && format != "svg" && format != "png" && format != "pdf") {
    std::cerr << "vcpuspec: error: --format " << format << ": expected dot, svg, png or pdf\n";
    return kUsage;
  }
  if ((format == "png" || format == "pdf") && a.output.empty()) {
    std::cerr << "vcpuspec: error: " << format << " output needs -o FILE\n";
    return kUsage;
  }
  int exit = kOk;
  auto spec = load_spec(a.specs, exit);
  if (!spec) return exit;
  const ir::Model& m = *spec->model;
  std::string dot;
  if (a.kind == "flow") {
    if (a.name.empty()) {
      std::cerr << "vcpuspec: error: render flow needs a flow name\n";
      return kUsage;
    }
    const ir::Flow* f = find_flow(m, a.name, "flow");
    if (!f) return kUsage;
    if (!a.compare.empty()) {
      const ir::Flow* g = find_flow(m, a.compare, "--compare");
      if (!g) return kUsage;
      dot = emit::compare_dot(m, *f, *g);
    } else {
      dot = emit::flow_dot(m, *f);
    }
  } else if (a.kind == "modes") {
    if (!a.name.empty() || !a.compare.empty() || !a.flow.empty() || !a.property.empty()) {
      std::cerr << "vcpuspec: error: render modes takes no flow or property\n";
      return kUsage;
    }
    smt::ModeMachine mm = smt::derive_mode_machine(m);
    if (!mm.problems.empty()) {
      // The modes must partition the legal states; say every way they do not.
      for (const std::string& p : mm.problems) std::cerr << "vcpuspec: error: modes: " << p << "\n";
      return kBadInput;
    }
    if (mm.outcome == smt::Outcome::Unknown) {
      std::cerr << "vcpuspec: the mode machine is unknown: " << mm.reason << "\n";
      return kUnknown;
    }
    dot = emit::modes_dot(m, mm);
  } else {
    if (a.flow.empty() || a.property.empty() || !a.name.empty()) {
      std::cerr << "vcpuspec: error: render counterexample takes --flow FLOW --property ID\n";
      return kUsage;
    }
    const ir::Flow* f = find_flow(m, a.flow, "--flow");
    if (!f) return kUsage;
    smt::FlowProveOptions fo;
    fo.flows = {a.flow};
    fo.properties = {a.property};
    auto obs = smt::prove_flows(m, fo);
    if (obs.empty()) {
      std::cerr << "vcpuspec: error: --property " << a.property << ": no such property for flow " << a.flow << "\n";
      return kUsage;
    }
    const smt::FlowObligation& ob = obs.front();
    if (ob.outcome == smt::Outcome::Unknown) {
      std::cerr << "vcpuspec: " << ob.property << " on " << ob.flow << " is unknown: " << ob.reason << "\n";
      return kUnknown;
    }
    if (!ob.applicable || ob.outcome == smt::Outcome::Proved) {
      std::cerr << "vcpuspec: " << ob.property << " " << (ob.applicable ? "is proved" : "does not apply") << " on "
                << ob.flow << ": no counterexample to draw\n";
      return kOk;
    }
    dot = emit::counterexample_dot(m, *f, ob);
  }
  std::string bytes = dot, error;
  if (format != "dot" && !gv::render_dot(dot, format, bytes, error)) {
    std::cerr << "vcpuspec: internal error: " << error << "\n";
    return kInternal;
  }
  if (a.output.empty()) {
    std::cout << bytes;
    return kOk;
  }
  std::ofstream out(a.output, std::ios::binary);
  if (!(out << bytes) || !out.flush()) {
    std::cerr << "vcpuspec: error: " << a.output << ": cannot write\n";
    return kBadInput;
  }
  return kOk;
}

}  // namespace

std::function<int()> add_render(CLI::App& app) {
  auto a = std::make_shared<RenderArgs>();
  app.add_option("kind", a->kind, "flow, counterexample or modes")->required()->check(CLI::IsMember({"flow", "counterexample", "modes"}));
  app.add_option("name", a->name, "render flow: the flow, e.g. kvm_5_10.vcpu_reset_vmx");
  app.add_option("--compare", a->compare, "render flow: a second flow to draw beside it, reordered operations in red");
  app.add_option("--flow", a->flow, "render counterexample: the flow");
  app.add_option("--property", a->property, "render counterexample: the property");
  app.add_option("-o,--output", a->output, "output file; the format follows its extension (.dot or .gv, .svg, .png, .pdf)");
  app.add_option("--format", a->format, "dot, svg, png or pdf (default: from -o, else dot)");
  app.add_option("--spec", a->specs, "spec files or directories to draw from (default: the built-in spec)");
  return [a] { return run_render(*a); };
}

}  // namespace vcpuspec::cli

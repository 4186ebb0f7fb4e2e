// vcpuspec prove / vcpuspec lint: Z3 over the spec.
#include <fnmatch.h>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "report/flow_report.hpp"
#include "report/prove_report.hpp"
#include "report/sarif.hpp"
#include "ir/flow.hpp"
#include "z3/flow_prove.hpp"
#include "z3/lint.hpp"
#include "support/diagnostics.hpp"
#include "z3/prove.hpp"

namespace vcpuspec::cli {

namespace {

struct SolverArgs {
  std::vector<std::string> specs;
  double timeout_s = 0;
  uint64_t rlimit = 0;
  unsigned memory_mb = 0;
  bool json = false;
  bool sarif = false;  // lint only
  bool verbose = false;
  std::vector<std::string> states;
  std::vector<std::string> checks;
  std::vector<std::string> flows;       // names or globs: kvm_5_15.*
  std::vector<std::string> properties;  // ids or globs: H3.*
  std::string report;                   // "md": the hazards table
  std::string output;                   // -o: write the report there

  smt::Limits limits() const {
    smt::Limits l;
    l.timeout_ms = static_cast<unsigned>(timeout_s * 1000);
    l.rlimit = rlimit;
    l.memory_mb = memory_mb;
    return l;
  }
};

void add_solver_options(CLI::App& app, SolverArgs& a) {
  app.add_option("specs", a.specs, "spec files or directories (default: the built-in spec)");
  app.add_option("--timeout", a.timeout_s, "Z3 time limit per query, seconds (0: none)");
  app.add_option("--rlimit", a.rlimit, "Z3 resource limit per query (deterministic; 0: none)");
  app.add_option("--memory", a.memory_mb, "Z3 memory limit, MiB (0: none)");
  app.add_flag("--json", a.json, "machine output");
  app.add_flag("-v,--verbose", a.verbose, "list every obligation or note");
}

int run_prove(const SolverArgs& a) {
  int exit = kOk;
  auto spec = load_spec(a.specs, exit);
  if (!spec) return exit;
  for (const std::string& s : a.states) {
    if (!spec->model->find_state(s)) {
      std::cerr << "vcpuspec: error: --state " << s << ": the spec has no such state\n";
      return kUsage;
    }
  }
  for (const std::string& c : a.checks) {
    if (!spec->model->find_check(c)) {
      std::cerr << "vcpuspec: error: --check " << c << ": the spec has no such check\n";
      return kUsage;
    }
  }
  // Flows and properties by name or glob; each pattern must match something.
  auto expand = [](const std::vector<std::string>& pats, const std::vector<std::string>& names, const char* what,
                   std::vector<std::string>& out) {
    for (const std::string& pat : pats) {
      size_t before = out.size();
      for (const std::string& n : names)
        if (fnmatch(pat.c_str(), n.c_str(), 0) == 0) out.push_back(n);
      if (out.size() == before) {
        std::cerr << "vcpuspec: error: " << what << " " << pat << ": the spec has no such " << (what + 2) << "\n";
        return false;
      }
    }
    return true;
  };
  std::vector<std::string> flow_names, prop_names;
  for (const auto& f : spec->model->flows) flow_names.push_back(f->name);
  for (const auto& p : spec->model->properties) prop_names.push_back(p->id);
  smt::FlowProveOptions fo;
  fo.limits = a.limits();
  if (!expand(a.flows, flow_names, "--flow", fo.flows) || !expand(a.properties, prop_names, "--property", fo.properties))
    return kUsage;
  if (!a.report.empty() && a.report != "md") {
    std::cerr << "vcpuspec: error: --report " << a.report << ": the only report is md (the hazards table)\n";
    return kUsage;
  }
  bool only_flows = !a.flows.empty() || !a.properties.empty() || !a.report.empty();
  bool only_states = !a.states.empty() || !a.checks.empty();
  if (only_flows && only_states) {
    std::cerr << "vcpuspec: error: --state/--check select state obligations, --flow/--property/--report flow "
                 "properties: use one kind per run\n";
    return kUsage;
  }
  std::vector<smt::Obligation> obs;
  if (!only_flows) {
    smt::ProveOptions po;
    po.limits = a.limits();
    po.states = a.states;
    po.checks = a.checks;
    obs = smt::prove_states(*spec->model, po);
  }
  std::vector<smt::FlowObligation> flows;
  if (!only_states) flows = smt::prove_flows(*spec->model, fo);
  bool failed = false, unknown = false;
  for (const smt::Obligation& ob : obs) {
    failed |= ob.outcome == smt::Outcome::Failed;
    unknown |= ob.outcome == smt::Outcome::Unknown;
  }
  for (const smt::FlowObligation& ob : flows) {
    failed |= ob.applicable && ob.outcome == smt::Outcome::Failed;
    unknown |= ob.applicable && ob.outcome == smt::Outcome::Unknown;
  }
  int code = failed ? kViolation : unknown ? kUnknown : kOk;
  std::string name = spec_name(a.specs);
  std::string text = !a.report.empty() ? report::hazards_markdown(flows, a.specs.empty() ? "the built-in spec" : name)
                     : a.json          ? report::prove_json(obs, flows, name, code)
                                       : report::prove_text(obs, flows, name, a.verbose);
  if (!write_output(a.output, text)) return kBadInput;
  // The hazards table is a report, not a verdict: its counterexamples are the point.
  if (!a.report.empty()) return unknown ? kUnknown : kOk;
  return code;
}

int run_lint(const SolverArgs& a) {
  int exit = kOk;
  auto spec = load_spec(a.specs, exit, /*warnings=*/false);
  if (!spec) return exit;
  smt::LintOptions lo;
  lo.limits = a.limits();
  smt::LintReport rep = smt::lint(*spec->model, lo);
  // The spec's own warnings (a control no check reads) are lint findings
  // too: counted, in the exit code, and in --json/--sarif. The built-in
  // spec's are its authors' (vcpuspec-gen prints them at build time).
  if (!a.specs.empty())
    for (const Diagnostic& d : spec->diags.sorted())
      if (d.severity == Severity::Warning)
        rep.findings.insert(rep.findings.begin(), {smt::LintFinding::Severity::Warning, "", "spec", d.message, d.loc});
  int code = rep.has_errors() ? kViolation : rep.has_unknown() ? kUnknown : kOk;
  if (a.sarif) std::cout << report::lint_sarif(rep, spec->sources);
  else std::cout << (a.json ? report::lint_json(rep, spec->sources, code) : report::lint_text(rep, spec->sources, a.verbose));
  return code;
}

}  // namespace

std::function<int()> add_prove(CLI::App& app) {
  auto a = std::make_shared<SolverArgs>();
  add_solver_options(app, *a);
  app.add_option("--state", a->states, "prove only for these states (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--check", a->checks, "prove only these checks (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--flow", a->flows, "prove only on these flows: names or globs such as kvm_5_15.* (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--property", a->properties, "prove only these properties: ids or globs such as H3.* (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--report", a->report, "md: write the hazards table (Markdown) instead of the proof log");
  app.add_option("-o,--output", a->output, "write the output to this file instead of stdout");
  return [a] { return run_prove(*a); };
}

std::function<int()> add_lint(CLI::App& app) {
  auto a = std::make_shared<SolverArgs>();
  add_solver_options(app, *a);
  app.add_flag("--sarif", a->sarif, "SARIF 2.1.0 output, for code-scanning tools")->excludes("--json");
  return [a] { return run_lint(*a); };
}

}  // namespace vcpuspec::cli

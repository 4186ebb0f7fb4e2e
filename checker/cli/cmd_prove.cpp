// vcpuspec prove / vcpuspec lint: Z3 over the spec.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "report/prove_report.hpp"
#include "z3/lint.hpp"
#include "z3/prove.hpp"

namespace vcpuspec::cli {

namespace {

struct SolverArgs {
  std::vector<std::string> specs;
  double timeout_s = 0;
  uint64_t rlimit = 0;
  unsigned memory_mb = 0;
  bool json = false;
  bool verbose = false;
  std::vector<std::string> states;
  std::vector<std::string> checks;

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
  smt::ProveOptions po;
  po.limits = a.limits();
  po.states = a.states;
  po.checks = a.checks;
  auto obs = smt::prove_states(*spec->model, po);
  bool failed = false, unknown = false;
  for (const smt::Obligation& ob : obs) {
    failed |= ob.outcome == smt::Outcome::Failed;
    unknown |= ob.outcome == smt::Outcome::Unknown;
  }
  int code = failed ? kViolation : unknown ? kUnknown : kOk;
  std::string name = spec_name(a.specs);
  std::cout << (a.json ? report::prove_json(obs, name, code) : report::prove_text(obs, name, a.verbose));
  return code;
}

int run_lint(const SolverArgs& a) {
  int exit = kOk;
  auto spec = load_spec(a.specs, exit);
  if (!spec) return exit;
  smt::LintOptions lo;
  lo.limits = a.limits();
  smt::LintReport rep = smt::lint(*spec->model, lo);
  int code = rep.has_errors() ? kViolation : rep.has_unknown() ? kUnknown : kOk;
  std::cout << (a.json ? report::lint_json(rep, spec->sources, code) : report::lint_text(rep, spec->sources, a.verbose));
  return code;
}

}  // namespace

std::function<int()> add_prove(CLI::App& app) {
  auto a = std::make_shared<SolverArgs>();
  add_solver_options(app, *a);
  app.add_option("--state", a->states, "prove only for these states (repeatable)");
  app.add_option("--check", a->checks, "prove only these checks (repeatable)");
  return [a] { return run_prove(*a); };
}

std::function<int()> add_lint(CLI::App& app) {
  auto a = std::make_shared<SolverArgs>();
  add_solver_options(app, *a);
  return [a] { return run_lint(*a); };
}

}  // namespace vcpuspec::cli

// vcpuspec compare: each VMM's RESET and INIT against the architecture's (Z3).
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "report/vmm_report.hpp"
#include "z3/compare_states.hpp"

namespace vcpuspec::cli {

namespace {

struct CompareArgs {
  std::vector<std::string> specs;
  std::vector<std::string> vmms;
  std::string report;  // "md": docs/vmms.md
  std::string output;
  double timeout_s = 0;
  bool json = false;
  bool verbose = false;
};

int run_compare(const CompareArgs& a) {
  int exit = kOk;
  auto spec = load_spec(a.specs, exit);
  if (!spec) return exit;
  std::vector<std::string> known;
  for (const ir::StateDef& st : spec->model->states)
    if (!st.vmm.empty() && std::find(known.begin(), known.end(), st.vmm) == known.end()) known.push_back(st.vmm);
  for (const std::string& v : a.vmms) {
    if (std::find(known.begin(), known.end(), v) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      std::cerr << "vcpuspec: error: --vmm " << v << ": the spec has no state of that VMM (it has: "
                << (list.empty() ? "none" : list) << ")\n";
      return kUsage;
    }
  }
  if (!a.report.empty() && a.report != "md") {
    std::cerr << "vcpuspec: error: --report " << a.report << ": the only report is md (the VMM table)\n";
    return kUsage;
  }
  smt::Limits limits;
  limits.timeout_ms = static_cast<unsigned>(a.timeout_s * 1000);
  auto cmps = smt::compare_vmm_states(*spec->model, limits, a.vmms);
  bool failed = false, unknown = false;
  for (const smt::StateComparison& c : cmps) {
    failed |= c.outcome == smt::Outcome::Failed;
    unknown |= c.outcome == smt::Outcome::Unknown;
  }
  int code = failed ? kViolation : unknown ? kUnknown : cmps.empty() ? kNothingChecked : kOk;
  std::string name = spec_name(a.specs);
  std::string text = !a.report.empty() ? report::vmms_markdown(cmps, a.specs.empty() ? "the built-in spec" : name)
                     : a.json          ? report::vmms_json(cmps, spec->sources, name, code)
                                       : report::vmms_text(cmps, spec->sources, a.verbose);
  if (cmps.empty() && a.report.empty() && !a.json) text = "the spec declares no VMM state (`state qemu.RESET for RESET`)\n";
  if (!write_output(a.output, text)) return kBadInput;
  return code;
}

}  // namespace

std::function<int()> add_compare(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  app.add_option("specs", a->specs, "spec files or directories (default: the built-in spec)");
  app.add_option("--vmm", a->vmms, "compare only this VMM's states (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--report", a->report, "md: write the VMM x field table (docs/vmms.md) instead of the log");
  app.add_option("-o,--output", a->output, "write the output to this file instead of stdout");
  app.add_option("--timeout", a->timeout_s, "Z3 time limit per query, seconds (0: none)");
  app.add_flag("--json", a->json, "machine output (vcpuspec.compare/1)");
  app.add_flag("-v,--verbose", a->verbose, "every difference with its reason and both citations");
  return [a] { return run_compare(*a); };
}

}  // namespace vcpuspec::cli

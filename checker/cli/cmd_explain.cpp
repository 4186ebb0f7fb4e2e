// vcpuspec explain: what a check says, in the spec's own words.
#include <iostream>
#include <memory>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace vcpuspec::cli {

namespace {

struct ExplainArgs {
  std::string id;
  bool list = false;
  std::string scope;
};

int run_explain(const ExplainArgs& a) {
  if (a.list || a.id.empty()) {
    if (!a.list) {
      std::cerr << "vcpuspec: error: explain needs a check id, or --list\n";
      return kUsage;
    }
    for (size_t i = 0; i < generated::kNumChecks; ++i) {
      const rt::CheckInfo& c = generated::kChecks[i];
      if (!a.scope.empty() && a.scope != c.scope) continue;
      std::cout << c.id << "  [" << c.scope << "]  " << c.text << "\n    cite: " << c.cite << "\n";
    }
    return kOk;
  }
  for (size_t i = 0; i < generated::kNumChecks; ++i) {
    const rt::CheckInfo& c = generated::kChecks[i];
    if (a.id != c.id) continue;
    std::cout << c.id << ": " << c.text << "\n  scope:     " << c.scope << "\n";
    if (*c.when) std::cout << "  when:      " << c.when << "\n";
    std::cout << "  assert:    " << c.predicate << "\n  cite:      " << c.cite << "\n";
    if (*c.note) std::cout << "  note:      " << c.note << "\n";
    return kOk;
  }
  std::cerr << "vcpuspec: error: no check '" << a.id << "' (see 'vcpuspec explain --list')\n";
  return kUsage;
}

}  // namespace

std::function<int()> add_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  app.add_option("id", a->id, "check id, e.g. ARCH.CR0.NW_NEEDS_CD");
  app.add_flag("--list", a->list, "list every check with its scope and citation");
  app.add_option("--scope", a->scope, "with --list: only this scope")->check(CLI::IsMember({"arch", "vmx", "svm"}));
  return [a] { return run_explain(*a); };
}

}  // namespace vcpuspec::cli

// vcpuspec: prove, check and explain x86 vCPU RESET/INIT state.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "runtime/nearest.hpp"

using namespace vcpuspec;

int main(int argc, char** argv) {
  CLI::App app{"vcpuspec: a formal spec of x86 vCPU RESET/INIT state, and the checker built from it"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("vcpuspec 0.1.0, spec digest ") + generated::kSpecDigest);
  std::function<int()> run;
  auto on = [&](std::function<int()> f, CLI::App* sub) { sub->callback([&run, f] { run = f; }); };
  {
    CLI::App* c = app.add_subcommand("check", "check captured vCPU state against the spec's checks");
    on(cli::add_check(*c), c);
    CLI::App* p = app.add_subcommand("prove", "prove the RESET/INIT invariants and every flow property; counterexamples as step tables (Z3)");
    on(cli::add_prove(*p), p);
    CLI::App* l = app.add_subcommand("lint", "sanity-check a spec: every check can pass and fail, none redundant");
    on(cli::add_lint(*l), l);
    CLI::App* e = app.add_subcommand("explain", "show a check, property or flow: text, predicate, citation");
    on(cli::add_explain(*e), e);
    CLI::App* r = app.add_subcommand("render", "draw a flow, two flows side by side, a counterexample, or the CPU mode machine (Graphviz)");
    on(cli::add_render(*r), r);
    CLI::App* w = app.add_subcommand("witness", "a state that fails exactly one check and one that passes all (Z3)");
    on(cli::add_witness(*w), w);
    CLI::App* v = app.add_subcommand("compare", "compare each VMM's RESET and INIT with the architecture's, field by field (Z3)");
    on(cli::add_compare(*v), v);
    CLI::App* k = app.add_subcommand("capture", "capture a KVM vCPU's RESET, post-program or post-INIT state as JSON (Linux, /dev/kvm)");
    on(cli::add_capture(*k), k);
  }
  // A mistyped command is named with the nearest one (CLI11 would only say
  // that a subcommand is required).
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
  if (argc > 1 && argv[1][0] != '-' && std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
    const std::string near = support::nearest(argv[1], commands);
    std::cerr << "vcpuspec: error: '" << argv[1] << "' is not a command" << (near.empty() ? "" : "; did you mean '" + near + "'?")
              << " (run 'vcpuspec --help')\n";
    return cli::kUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Point at the command's own help, and name the option a typo meant.
    const CLI::App* sub = nullptr;
    for (const CLI::App* c : app.get_subcommands({}))
      if (argc > 1 && c->get_name() == argv[1]) sub = c;
    std::string hint;
    const std::string what = e.what();
    if (sub && what.find("not expected") != std::string::npos) {
      std::vector<std::string> options;
      for (const CLI::Option* o : sub->get_options())
        for (const std::string& n : o->get_lnames()) options.push_back("--" + n);
      for (int i = 2; i < argc && hint.empty(); ++i)
        if (std::string arg = argv[i]; arg.rfind("--", 0) == 0 && what.find(arg) != std::string::npos) {
          const std::string near = support::nearest(arg.substr(0, arg.find('=')), options);
          if (!near.empty()) hint = "; did you mean '" + near + "'?";
        }
    }
    std::cerr << "vcpuspec: error: " << what << hint << " (run 'vcpuspec " << (sub ? sub->get_name() + " " : "")
              << "--help')\n";
    return cli::kUsage;
  }
  if (!run) {
    std::cerr << "vcpuspec: error: no command given (run 'vcpuspec --help')\n";
    return cli::kUsage;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    // A bug, not a user error: say so plainly rather than crash.
    std::cerr << "vcpuspec: internal error: " << e.what() << "\n";
    return cli::kInternal;
  }
}

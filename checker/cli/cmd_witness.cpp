// vcpuspec witness: Z3's pair of states for one check — one that passes
// everything, one that fails that check alone.
#include <iostream>
#include <memory>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "report/state_writer.hpp"
#include "report/witness_report.hpp"
#include "z3/witness.hpp"

namespace vcpuspec::cli {

namespace {

struct WitnessArgs {
  std::string id;
  std::string state;  // "", "pass", "fail"
  bool json = false;
  double timeout_s = 0;
};

readers::Slots builtin_slots() { return readers::Slots(generated::kSlots, generated::kNumSlots); }

int run_witness(const WitnessArgs& a) {
  int exit = kOk;
  auto spec = load_spec({}, exit);
  if (!spec) return exit;
  const ir::Model& m = *spec->model;
  const ir::Check* c = m.find_check(a.id);
  if (!c) {
    std::cerr << "vcpuspec: error: no check '" << a.id << "' (see 'vcpuspec explain --list')\n";
    return kUsage;
  }
  smt::WitnessOptions o;
  o.limits.timeout_ms = static_cast<unsigned>(a.timeout_s * 1000);
  smt::WitnessPair w = smt::find_witness(m, *c, o);
  int code = w.outcome == smt::Outcome::Proved ? kOk : w.outcome == smt::Outcome::Failed ? kViolation : kUnknown;
  if (a.json) {
    std::cout << report::witness_json(builtin_slots(), w, code);
    return code;
  }
  if (!a.state.empty()) {
    if (code != kOk) {
      std::cerr << "vcpuspec: error: " << c->id << " has no witness: "
                << (w.implied_by.empty() ? w.reason : "it is implied by other checks") << "\n";
      return code;
    }
    bool pass = a.state == "pass";
    std::cout << report::write_state_json(builtin_slots(), w.flavor,
                                          "vcpuspec witness " + c->id + (pass ? " (passes every check)" : " (fails only this check)"),
                                          pass ? w.passing : w.failing);
    return kOk;
  }
  std::cout << c->id << ": " << c->text << "\n" << report::witness_text(m, *c, w, "  ");
  return code;
}

}  // namespace

std::function<int()> add_witness(CLI::App& app) {
  auto a = std::make_shared<WitnessArgs>();
  app.add_option("id", a->id, "a check id (VMX.GS.SEG.CS.L_D)")->required();
  app.add_option("--state", a->state, "print one state of the pair as state JSON: pass or fail")
      ->check(CLI::IsMember({"pass", "fail"}));
  app.add_flag("--json", a->json, "both states and the outcome as JSON (vcpuspec.witness/1)");
  app.add_option("--timeout", a->timeout_s, "Z3 time limit per query, seconds (0: none)");
  return [a] { return run_witness(*a); };
}

}  // namespace vcpuspec::cli

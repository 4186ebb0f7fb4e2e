// vcpuspec check: read state files, run the generated checks, optionally
// compare with the spec's RESET or INIT state.
#include <algorithm>
#include <iostream>
#include <memory>
#include <span>

#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "engine/expect_state.hpp"
#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"
#include "report/sarif.hpp"
#include "report/check_report.hpp"

namespace vcpuspec::cli {

namespace {

struct CheckArgs {
  std::vector<std::string> inputs;
  std::string format = "auto";
  std::string flavor;
  std::vector<std::string> sets;
  std::string expect;
  std::string before;
  std::vector<std::string> only;
  bool json = false;
  bool sarif = false;
  bool verbose = false;
  double timeout_s = 0;
};

readers::Slots slots() { return readers::Slots(generated::kSlots, generated::kNumSlots); }

// Detects the format from content. This build reads the state JSON.
std::string detect(const std::string& text) {
  size_t i = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (i != std::string::npos && text[i] == '{') return "json";
  return "";
}

std::variant<readers::StateInput, readers::ReadError> read_one(const std::string& path, const std::string& format) {
  std::string text, err;
  std::string shown = path == "-" ? "<stdin>" : path;
  if (!read_input(path, text, err)) return readers::ReadError{shown, 0, 0, "cannot read: " + err};
  std::string fmt = format == "auto" ? detect(text) : format;
  if (fmt.empty()) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return readers::ReadError{shown, 0, 0, "empty input"};
    return readers::ReadError{shown, 1, 1, "cannot detect the input format: expected the state JSON (vcpuspec.state/1)"};
  }
  return readers::read_state_json(text, shown, slots());
}

// --set KEY=VALUE: configuration only (cpu.*, vcpu.*, feature and control names).
bool apply_set(const std::string& kv, readers::StateInput& in, std::string& error) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "--set " + kv + ": expected KEY=VALUE";
    return false;
  }
  std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
  long id = readers::find_slot(slots(), key);
  if (id < 0 || !rt::is_config_slot(generated::kSlots[id].kind)) {
    error = "--set " + kv + ": '" + key + "' is not a configuration name" + readers::suggest_slot(slots(), key, false);
    return false;
  }
  const rt::SlotInfo& s = generated::kSlots[id];
  uint64_t v = 0;
  if (val == "true" || val == "false") v = val == "true";
  else if (!readers::parse_u64(val, v)) {
    error = "--set " + kv + ": '" + val + "' is not a number";
    return false;
  }
  if (s.has_range && (v < s.range_lo || v > s.range_hi)) {
    error = "--set " + kv + ": value is outside " + std::to_string(s.range_lo) + ".." + std::to_string(s.range_hi);
    return false;
  }
  if (s.width < 64 && (v >> s.width)) {
    error = "--set " + kv + ": value does not fit in " + std::to_string(s.width) + " bits";
    return false;
  }
  in.state.set(static_cast<size_t>(id), v);
  in.origin[static_cast<size_t>(id)] = readers::Origin::Set;
  readers::refresh_followers(slots(), in, static_cast<size_t>(id));
  return true;
}

int run_check(const CheckArgs& a) {
  if (a.format != "auto" && a.format != "json") {
    std::cerr << "vcpuspec: error: --format " << a.format
              << ": this build reads the state JSON only (auto, json)\n";
    return kUsage;
  }
  const rt::StateInfo* expect = nullptr;
  if (!a.expect.empty()) {
    for (size_t i = 0; i < generated::kNumStates; ++i) {
      std::string n = generated::kStates[i].name;
      std::string want = a.expect;
      std::transform(want.begin(), want.end(), want.begin(), ::toupper);
      if (n == want) expect = &generated::kStates[i];
    }
    if (!expect) {
      std::cerr << "vcpuspec: error: --expect " << a.expect << ": the spec has no such state (reset, init)\n";
      return kUsage;
    }
  }
  if (!a.before.empty() && (!expect || !*expect->prev_name)) {
    std::cerr << "vcpuspec: error: --before needs --expect with a state that has a previous state (init)\n";
    return kUsage;
  }

  // Read everything first: a bad input means no results at all.
  std::vector<std::unique_ptr<readers::StateInput>> inputs;
  std::vector<readers::ReadError> errors;
  for (const std::string& path : a.inputs) {
    auto r = read_one(path, a.format);
    if (auto* e = std::get_if<readers::ReadError>(&r)) errors.push_back(*e);
    else inputs.push_back(std::make_unique<readers::StateInput>(std::move(std::get<readers::StateInput>(r))));
  }
  std::unique_ptr<readers::StateInput> before;
  if (!a.before.empty()) {
    auto r = read_one(a.before, a.format);
    if (auto* e = std::get_if<readers::ReadError>(&r)) errors.push_back(*e);
    else before = std::make_unique<readers::StateInput>(std::move(std::get<readers::StateInput>(r)));
  }
  if (!errors.empty()) {
    for (const readers::ReadError& e : errors) std::cerr << e.format() << "\n";
    return kBadInput;
  }
  for (auto& in : inputs) {
    if (!a.flavor.empty()) in->flavor = a.flavor;
    for (const std::string& kv : a.sets) {
      std::string err;
      if (!apply_set(kv, *in, err)) {
        std::cerr << "vcpuspec: error: " << err << "\n";
        return kUsage;
      }
    }
  }
  for (const std::string& id : a.only) {
    bool found = false;
    for (size_t i = 0; i < generated::kNumChecks; ++i) found |= id == generated::kChecks[i].id;
    if (!found) {
      std::cerr << "vcpuspec: error: --check " << id << ": no such check (see 'vcpuspec explain --list')\n";
      return kUsage;
    }
  }

  // The spec model is only needed when the C++ path cannot decide --expect.
  std::unique_ptr<front::LoadedSpec> spec;
  engine::ExpectOptions eo;
  eo.limits.timeout_ms = static_cast<unsigned>(a.timeout_s * 1000);

  std::vector<report::CheckedInput> checked;
  bool any_fail = false, any_unknown = false;
  for (auto& in : inputs) {
    report::CheckedInput ci;
    ci.input = in.get();
    ci.run = engine::run_checks(std::span(generated::kChecks, generated::kNumChecks), slots(), *in, a.only);
    any_fail |= ci.run.fail > 0;
    any_unknown |= ci.run.unknown > 0;
    if (expect) {
      if (!spec && !engine::expect_decidable(*expect, slots(), *in, before.get())) {
        int ex = kOk;
        spec = load_spec({}, ex);
        if (!spec) return ex;
      }
      ci.expect = engine::expect_state(*expect, slots(), *in, before.get(), spec ? spec->model.get() : nullptr, eo,
                                       &ci.expect_used_solver);
      ci.expect_cite = expect->cite;
      any_fail |= ci.expect->outcome == smt::Outcome::Failed;
      any_unknown |= ci.expect->outcome == smt::Outcome::Unknown;
    }
    checked.push_back(std::move(ci));
  }
  int code = any_fail ? kViolation : any_unknown ? kUnknown : kOk;
  if (a.sarif) {
    std::cout << report::check_sarif(checked, slots());
  } else if (a.json) {
    std::cout << report::check_json(checked, slots(), code);
  } else {
    report::CheckReportOptions o;
    o.verbose = a.verbose;
    std::cout << report::check_text(checked, slots(), o);
  }
  return code;
}

}  // namespace

std::function<int()> add_check(CLI::App& app) {
  auto a = std::make_shared<CheckArgs>();
  app.add_option("inputs", a->inputs, "state files (the state JSON); '-' reads stdin")->required();
  app.add_option("--format", a->format, "input format: auto or json")->default_str("auto");
  app.add_option("--flavor", a->flavor, "which checks apply: arch, vmx or svm (default: from the input)")
      ->check(CLI::IsMember({"arch", "vmx", "svm"}));
  app.add_option("--set", a->sets, "override configuration, e.g. --set cpu.maxphyaddr=39 (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--expect", a->expect, "also compare with the spec state: reset or init");
  app.add_option("--before", a->before, "with --expect init: the state before INIT");
  app.add_option("--check", a->only, "run only these checks (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--timeout", a->timeout_s, "Z3 time limit per query, seconds (for --expect)");
  app.add_flag("--json", a->json, "machine output (vcpuspec.check/1)");
  app.add_flag("--sarif", a->sarif, "SARIF 2.1.0 output, for code-scanning tools")->excludes("--json");
  app.add_flag("-v,--verbose", a->verbose, "also list passing checks and matching fields");
  return [a] { return run_check(*a); };
}

}  // namespace vcpuspec::cli

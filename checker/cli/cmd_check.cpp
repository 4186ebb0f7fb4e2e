// vcpuspec check: read state files, run the generated checks, optionally
// compare with the spec's RESET or INIT state.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>

#include "builtin/check_model.hpp"
#include "checker.gen.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/spec_source.hpp"
#include "engine/decide_exactly.hpp"
#include "engine/expect_state.hpp"
#include "engine/not_loaded.hpp"
#include "engine/run_checks.hpp"
#include "readers/detect.hpp"
#include "readers/dump_text.hpp"
#include "readers/pieces.hpp"
#include "readers/slot_writer.hpp"
#include "report/batch_report.hpp"
#include "report/sarif.hpp"
#include "report/check_report.hpp"
#include "report/trace_report.hpp"
#include "engine/replay_trace.hpp"
#include "readers/trace.hpp"
#include "runtime/nearest.hpp"

namespace vcpuspec::cli {

namespace {

struct CheckArgs {
  std::vector<std::string> inputs;
  std::string trace;
  std::string format = "auto";
  std::string flavor;
  std::vector<std::string> sets;
  std::string expect;
  std::string before;
  std::string extra;  // --extra FILE: fields each input lacks
  std::vector<std::string> only;
  bool json = false;
  bool sarif = false;
  bool batch = false;
  bool verbose = false;
  bool entry_only = false;  // only the entry question sets the exit code
  bool three_valued = false;  // no Z3 for checks the generated code leaves unknown
  double timeout_s = 0;
};

readers::Slots slots() { return readers::Slots(generated::kSlots, generated::kNumSlots); }

// Directories expand to the files below them (recursively, in path order;
// hidden entries and Markdown notes such as a corpus README are skipped).
std::vector<std::string> expand_inputs(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& a : args) {
    std::error_code ec;
    if (a == "-" || !fs::is_directory(a, ec)) {
      out.push_back(a);
      continue;
    }
    std::vector<std::string> files;
    fs::recursive_directory_iterator it(a, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && it->path().extension() != ".md") files.push_back(it->path().string());
    }
    if (ec) {
      out.push_back(a);  // read_one reports it
      continue;
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

readers::ReadResult read_one(const std::string& path, const std::string& format, const readers::ReadOptions& o) {
  std::string text, err;
  std::string shown = path == "-" ? "<stdin>" : path;
  std::error_code ec;
  if (path != "-" && std::filesystem::is_directory(path, ec))
    return readers::ReadError{shown, 0, 0, "cannot read: a directory"};
  if (!read_input(path, text, err)) return readers::ReadError{shown, 0, 0, "cannot read: " + err};
  return readers::read_any(text, shown, format, slots(), o);
}

// --batch: an input read in pieces (readers::read_pieces), each state
// handed to `each` as soon as its piece is read.
std::optional<readers::ReadError> read_streamed(const std::string& path, const std::string& format,
                                                const readers::ReadOptions& o, const readers::EachInput& each) {
  std::string shown = path == "-" ? "<stdin>" : path;
  if (path == "-") return readers::read_pieces(std::cin, shown, format, slots(), o, each);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return readers::ReadError{shown, 0, 0, "cannot read: a directory"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return readers::ReadError{shown, 0, 0, std::string("cannot read: ") + std::strerror(errno)};
  return readers::read_pieces(in, shown, format, slots(), o, each);
}

// --set KEY=VALUE: configuration only (cpu.*, vcpu.*, feature and control names).
// A default that only checks of another flavor read (vmx.cr0_fixed0 for an
// arch dump) is noise in the report: drop it. Defaults no check reads (one
// only a RESET or INIT state reads) stay.
void drop_foreign_defaults(readers::StateInput& in) {
  std::vector<uint8_t> here(generated::kNumSlots, 0), elsewhere(generated::kNumSlots, 0);
  for (size_t i = 0; i < generated::kNumChecks; ++i) {
    const rt::CheckInfo& c = generated::kChecks[i];
    std::vector<uint8_t>& mark = engine::scope_applies(c.scope, in.flavor) ? here : elsewhere;
    for (uint16_t r = 0; r < c.num_reads; ++r) mark[c.reads[r]] = 1;
  }
  for (size_t i = 0; i < generated::kNumSlots; ++i)
    if (in.origin[i] == readers::Origin::Defaulted && elsewhere[i] && !here[i]) {
      in.state.clear(i);
      in.origin[i] = readers::Origin::Missing;
    }
}

// `--set KEY=VALUE`: the configuration slot and its value, or false with `error`.
// A whole VMX control word (`--set primary=0x8401e172`) sets its named
// controls and its other bits, as the dump readers split it.
bool parse_set(const std::string& kv, std::vector<std::pair<size_t, uint64_t>>& parts, std::string& error) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "--set " + kv + ": expected KEY=VALUE";
    return false;
  }
  std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
  long id = readers::find_slot(slots(), key);
  if (unsigned width = id < 0 ? readers::control_word_width(slots(), key) : 0) {
    uint64_t w = 0;
    if (!readers::parse_u64(val, w) || (width < 64 && (w >> width))) {
      error = "--set " + kv + ": '" + val + "' is not a " + std::to_string(width) + "-bit control word";
      return false;
    }
    parts = readers::split_control_word(slots(), key, w);
    return true;
  }
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
  parts = {{static_cast<size_t>(id), v}};
  return true;
}

bool apply_set(const std::string& kv, readers::StateInput& in, std::string& error) {
  std::vector<std::pair<size_t, uint64_t>> parts;
  if (!parse_set(kv, parts, error)) return false;
  for (const auto& [id, v] : parts) {
    in.state.set(id, v);
    in.origin[id] = readers::Origin::Set;
    readers::refresh_followers(slots(), in, id);
  }
  return true;
}

// Every --check ID names a check, or with --trace a transition too (as
// `explain --list` shows them); else one line with the nearest name.
bool only_known(const std::vector<std::string>& only, bool trace) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < generated::kNumChecks; ++i) names.push_back(generated::kChecks[i].id);
  const size_t num_checks = names.size();
  for (size_t i = 0; i < generated::kNumTransitions; ++i) names.push_back(generated::kTransitions[i].id);
  for (const std::string& id : only) {
    auto at = std::find(names.begin(), names.end(), id);
    if (at == names.end()) {
      const std::string near = support::nearest(id, names);
      std::cerr << "vcpuspec: error: --check " << id << ": no such check or transition"
                << (near.empty() ? "" : "; did you mean '" + near + "'?") << " (see 'vcpuspec explain --list')\n";
      return false;
    }
    if (!trace && static_cast<size_t>(at - names.begin()) >= num_checks) {
      std::cerr << "vcpuspec: error: --check " << id << ": a transition, a rule about one write: it is checked on "
                << "the writes of a --trace, not on a state (see 'vcpuspec explain " << id << "')\n";
      return false;
    }
  }
  return true;
}

// --trace T: replay a trace of writes and run the spec's write rules (and the
// state checks where the guest runs) over it.
int run_trace(const CheckArgs& a) {
  if (!a.inputs.empty() || !a.expect.empty() || !a.before.empty() || !a.extra.empty() || a.batch || a.sarif ||
      a.format != "auto") {
    std::cerr << "vcpuspec: error: --trace checks one trace: it takes --flavor, --set, --check and --json, not state "
                 "inputs, --format, --expect, --before, --extra, --batch or --sarif\n";
    return kUsage;
  }
  if (!only_known(a.only, true)) return kUsage;
  std::string text, err;
  std::string shown = a.trace == "-" ? "<stdin>" : a.trace;
  std::error_code ec;
  if (a.trace != "-" && std::filesystem::is_directory(a.trace, ec)) {
    std::cerr << readers::ReadError{shown, 0, 0, "cannot read: a directory"}.format() << "\n";
    return kBadInput;
  }
  if (!read_input(a.trace, text, err)) {
    std::cerr << readers::ReadError{shown, 0, 0, "cannot read: " + err}.format() << "\n";
    return kBadInput;
  }
  auto r = readers::read_trace(text, shown, slots());
  if (auto* e = std::get_if<readers::ReadError>(&r)) {
    std::cerr << e->format() << "\n";
    return kBadInput;
  }
  readers::Trace& t = std::get<readers::Trace>(r);
  std::string flavor = !a.flavor.empty() ? a.flavor : !t.flavor.empty() ? t.flavor : "arch";
  // --set: configuration known from the start, a snapshot before the first step.
  if (!a.sets.empty()) {
    readers::StateInput cfg;
    cfg.state = rt::State(slots().size());
    cfg.origin.assign(slots().size(), readers::Origin::Missing);
    for (const std::string& kv : a.sets)
      if (!apply_set(kv, cfg, err)) {
        std::cerr << "vcpuspec: error: " << err << "\n";
        return kUsage;
      }
    readers::TraceStep set;
    set.op = "--set";
    set.step = "0";
    set.sets_state = true;
    for (size_t i = 0; i < slots().size(); ++i)
      if (cfg.state.has(i)) set.writes.emplace_back(i, cfg.state.get(i));
    for (readers::TraceVcpu& v : t.vcpus) v.steps.insert(v.steps.begin(), set);
  }
  // --check: only the write rules and state checks it names.
  auto selected = [&](const char* id) { return a.only.empty() || std::find(a.only.begin(), a.only.end(), id) != a.only.end(); };
  std::vector<rt::TransitionInfo> rules;
  std::vector<rt::CheckInfo> checks;
  for (size_t i = 0; i < generated::kNumTransitions; ++i)
    if (selected(generated::kTransitions[i].id)) rules.push_back(generated::kTransitions[i]);
  for (size_t i = 0; i < generated::kNumChecks; ++i)
    if (selected(generated::kChecks[i].id)) checks.push_back(generated::kChecks[i]);
  std::vector<engine::TraceRun> runs;
  bool any_fail = false, any_unknown = false;
  for (const readers::TraceVcpu& v : t.vcpus) {
    runs.push_back(engine::replay_trace(rules, checks, slots(), v, flavor));
    any_fail |= runs.back().finding.has_value();
    any_unknown |= runs.back().rule_unknown > 0;
  }
  int code = any_fail ? kViolation : any_unknown ? kUnknown : kOk;
  std::cout << (a.json ? report::trace_json(t, runs, slots(), flavor, code) : report::trace_text(t, runs, slots(), flavor));
  return code;
}

// A file that must hold one state (--before, --extra): kOk, or the exit code
// after saying why.
int read_single(const char* option, const std::string& path, const std::string& format,
                std::unique_ptr<readers::StateInput>& out) {
  auto r = read_one(path, format, readers::ReadOptions{});
  if (auto* e = std::get_if<readers::ReadError>(&r)) {
    std::cerr << e->format() << "\n";
    return kBadInput;
  }
  auto& got = std::get<readers::Inputs>(r);
  if (got.size() != 1) {
    std::cerr << "vcpuspec: error: " << option << " " << path << ": holds " << got.size() << " vCPU states; give a file with one\n";
    return kUsage;
  }
  out = std::make_unique<readers::StateInput>(std::move(got[0]));
  return kOk;
}

// How every input is read: --flavor, and the --set values (validated
// before the first input), on which KVM's VMCS view of a guest dump depends.
readers::ReadOptions read_options(const CheckArgs& a) {
  readers::ReadOptions ro;
  ro.flavor = a.flavor;
  for (const std::string& kv : a.sets) {
    std::vector<std::pair<size_t, uint64_t>> parts;
    std::string err;
    if (parse_set(kv, parts, err))
      for (const auto& [slot, value] : parts) ro.config.emplace_back(generated::kSlots[slot].name, value);
  }
  return ro;
}

// What `check` does to each input, with or without --batch: the --set
// values, the checks, and with --expect the comparison with the spec's state.
// The spec model is loaded only when the C++ path cannot decide --expect.
class InputChecker {
 public:
  InputChecker(const CheckArgs& a, const rt::StateInfo* expect, const readers::StateInput* before,
               const readers::StateInput* extra)
      : a_(a), expect_(expect), before_(before), extra_(extra) {
    eo_.limits.timeout_ms = static_cast<unsigned>(a.timeout_s * 1000);
  }

  // False (with `exit` set) only when the spec model is needed and does not load.
  bool check(readers::StateInput& in, report::CheckedInput& ci, int& exit) {
    drop_foreign_defaults(in);
    merge_extra(in);
    for (const std::string& kv : a_.sets) {
      std::string err;
      apply_set(kv, in, err);  // validated before the first input
    }
    engine::drop_not_loaded(slots(), in);  // after --set, which may change a control
    ci.input = &in;
    ci.run = engine::run_checks(std::span(generated::kChecks, generated::kNumChecks),
                                std::span(generated::kCheckGroups, generated::kNumCheckGroups), slots(), in, a_.only);
    if (ci.run.unknown && !a_.three_valued) {
      // The checks' model from the generated tables: no spec parse.
      engine::decide_exactly(ci.run, std::span(generated::kChecks, generated::kNumChecks), slots(), in, [&] {
        if (!decider_)
          decider_ = std::make_unique<smt::CompletionDecider>(builtin::check_model(), smt::CompletionOptions{true, exact_limits()});
        return decider_.get();
      });
    }
    if (!expect_) return note(ci);
    // RESET and INIT are what the guest sees: a VMCS view read from a guest
    // dump (CR0.NE, CR4.VMXE forced by KVM) is compared as the guest saw it.
    const readers::StateInput guest = readers::guest_visible(in);
    if (!engine::expect_decidable(*expect_, slots(), guest, before_) && !model(exit)) return false;
    ci.expect = engine::expect_state(*expect_, slots(), guest, before_, spec_ ? spec_->model.get() : nullptr, eo_,
                                     &ci.expect_used_solver);
    ci.expect_cite = expect_->cite;
    return note(ci);
  }

  // The run's exit code: the worst of its inputs' (a failure before an undecided input).
  int code() const { return any_fail_ ? kViolation : any_unknown_ ? kUnknown : any_checked_ ? kOk : kNothingChecked; }

 private:
  const CheckArgs& a_;
  const rt::StateInfo* expect_;
  const readers::StateInput* before_;
  const readers::StateInput* extra_;
  std::unique_ptr<front::LoadedSpec> spec_;
  std::unique_ptr<smt::CompletionDecider> decider_;
  engine::ExpectOptions eo_;

  // --extra: the fields the input lacks (or only defaults), from a state the
  // user wrote; a field the input gives keeps the input's value, noted where
  // the two differ. Configuration in it acts as --set does (before --set).
  void merge_extra(readers::StateInput& in) const {
    if (!extra_) return;
    std::string taken, kept;
    for (size_t i = 0; i < generated::kNumSlots; ++i) {
      // What the file gives: not the defaults its reading filled in.
      const readers::Origin o = extra_->origin[i];
      if (!extra_->state.has(i) || (o != readers::Origin::Given && o != readers::Origin::Set)) continue;
      const std::string name = generated::kSlots[i].name;
      if (in.state.has(i) && in.origin[i] != readers::Origin::Defaulted) {
        if (in.state.get(i) != extra_->state.get(i)) kept += (kept.empty() ? "" : ", ") + name;
        continue;
      }
      in.state.set(i, extra_->state.get(i));
      in.origin[i] = readers::Origin::Set;
      readers::refresh_followers(slots(), in, i);
      taken += (taken.empty() ? "" : ", ") + name;
    }
    if (!taken.empty()) in.notes.push_back({0, "--extra " + a_.extra + " gave what the input lacks: " + taken});
    if (!kept.empty())
      in.notes.push_back({0, "--extra " + a_.extra + " differs from the input, whose value is kept: " + kept});
  }

  // The spec model, loaded on first need (false, with `exit` set, when it does not load).
  bool model(int& exit) {
    if (spec_) return true;
    exit = kOk;
    spec_ = load_spec({}, exit);
    return spec_ != nullptr;
  }
  // A bound on each exact query: the --timeout, and a resource limit that
  // makes the bound the same on every machine (a query past it stays
  // unknown and says why).
  smt::Limits exact_limits() const {
    smt::Limits l = eo_.limits;
    l.rlimit = kExactRlimit;
    return l;
  }
  static constexpr uint64_t kExactRlimit = 5'000'000;
  bool any_fail_ = false, any_unknown_ = false, any_checked_ = false;

  bool note(const report::CheckedInput& ci) {
    any_checked_ |= !ci.run.results.empty() || ci.expect.has_value();
    int c = report::input_exit_code(ci, a_.entry_only);
    any_fail_ |= c == kViolation;
    any_unknown_ |= c == kUnknown;
    return true;
  }
};

// Exit 5 when no check ran on any input (--check names checks of another
// flavor only), said on stderr: the report's "0 checks" is no clean result.
int said_if_nothing(const CheckArgs& a, int code) {
  if (code == kNothingChecked)
    std::cerr << "vcpuspec: error: nothing checked: " << (a.only.empty() ? std::string("no check applies to the inputs")
                                                                          : "no check --check selects applies to the inputs' flavor")
              << " (see 'vcpuspec explain --list')\n";
  return code;
}

// --batch: one line per input, printed as soon as it is checked. Inputs are
// read, checked and dropped one file at a time, so memory stays that of the
// largest file however many files there are.
int run_batch(const CheckArgs& a, const std::vector<std::string>& paths, const rt::StateInfo* expect,
              const readers::StateInput* before, const readers::StateInput* extra) {
  const readers::ReadOptions ro = read_options(a);
  InputChecker checker(a, expect, before, extra);
  report::BatchTotals totals;
  bool any_error = false;
  int stop = -1;  // an exit code once the spec model was needed and did not load
  auto each = [&](readers::StateInput& in) {
    if (stop >= 0) return;
    report::CheckedInput ci;
    int exit = kOk;
    if (!checker.check(in, ci, exit)) {
      stop = exit;
      return;
    }
    std::cout << (a.json ? report::batch_line_json(ci, slots(), totals, a.entry_only)
                         : report::batch_line_text(ci, totals, a.entry_only));
  };
  for (const std::string& path : paths) {
    std::optional<readers::ReadError> e = read_streamed(path, a.format, ro, each);
    if (stop >= 0) return stop;
    if (e) {
      any_error = true;
      std::cout << (a.json ? report::batch_error_json(*e, totals) : report::batch_error_text(*e, totals));
      if (!a.json) std::cerr << e->format() << "\n";
    }
  }
  if (!a.json) std::cout << report::batch_totals_text(totals);
  return any_error ? kBadInput : said_if_nothing(a, checker.code());
}

int run_check(const CheckArgs& a) {
  if (!a.trace.empty()) return run_trace(a);
  if (a.inputs.empty()) {
    std::cerr << "vcpuspec: error: check needs state inputs (files, directories, '-') or --trace T\n";
    return kUsage;
  }
  if (a.format != "auto" && std::find(std::begin(readers::kFormats), std::end(readers::kFormats), a.format) ==
                                std::end(readers::kFormats)) {
    std::cerr << "vcpuspec: error: --format " << a.format
              << ": expected auto, json, qemu, kvm-vmcs, kvm-vmcb, xen-vmcs or kvm-sregs\n";
    return kUsage;
  }
  if (a.batch && a.sarif) {
    std::cerr << "vcpuspec: error: --batch prints one line per input: use --json for JSON Lines, not --sarif\n";
    return kUsage;
  }
  const rt::StateInfo* expect = nullptr;
  if (!a.expect.empty()) {
    // Case does not matter: reset, INIT, qemu.init.
    const std::string want = readers::text::lower(a.expect);
    std::string names;
    for (size_t i = 0; i < generated::kNumStates; ++i) {
      std::string n = readers::text::lower(generated::kStates[i].name);
      names += (names.empty() ? "" : ", ") + n;
      if (n == want) expect = &generated::kStates[i];
    }
    if (!expect) {
      std::cerr << "vcpuspec: error: --expect " << a.expect << ": the spec has no such state (" << names << ")\n";
      return kUsage;
    }
  }
  if (!a.before.empty() && (!expect || !*expect->prev_name)) {
    std::cerr << "vcpuspec: error: --before needs --expect with a state that has a previous state (init)\n";
    return kUsage;
  }

  // --set and --check are checked before any input is read.
  for (const std::string& kv : a.sets) {
    std::vector<std::pair<size_t, uint64_t>> parts;
    std::string err;
    if (!parse_set(kv, parts, err)) {
      std::cerr << "vcpuspec: error: " << err << "\n";
      return kUsage;
    }
  }
  if (!only_known(a.only, false)) return kUsage;
  // --before and --extra serve every input: without them there is nothing to check.
  std::unique_ptr<readers::StateInput> before, extra;
  if (!a.before.empty())
    if (int e = read_single("--before", a.before, a.format, before); e != kOk) return e;
  if (!a.extra.empty())
    if (int e = read_single("--extra", a.extra, "auto", extra); e != kOk) return e;
  // Checking nothing is no success: a directory without files is refused.
  const std::vector<std::string> paths = expand_inputs(a.inputs);
  if (paths.empty()) {
    std::string named;
    for (const std::string& i : a.inputs) named += (named.empty() ? "" : ", ") + i;
    std::cerr << "vcpuspec: error: nothing to check: " << named << (a.inputs.size() > 1 ? " hold" : " holds")
              << " no input file\n";
    return kNothingChecked;
  }
  if (a.batch) return run_batch(a, paths, expect, before.get(), extra.get());

  // Read everything first: without --batch a bad input means no results at all.
  const readers::ReadOptions ro = read_options(a);
  std::vector<std::unique_ptr<readers::StateInput>> owned;
  std::vector<readers::ReadError> errors;
  for (const std::string& path : paths) {
    auto r = read_one(path, a.format, ro);
    if (auto* e = std::get_if<readers::ReadError>(&r)) {
      errors.push_back(*e);
      continue;
    }
    for (readers::StateInput& in : std::get<readers::Inputs>(r))
      owned.push_back(std::make_unique<readers::StateInput>(std::move(in)));
  }
  if (!errors.empty()) {
    for (const readers::ReadError& e : errors) std::cerr << e.format() << "\n";
    return kBadInput;
  }
  InputChecker checker(a, expect, before.get(), extra.get());
  std::vector<report::CheckedInput> checked;
  for (auto& in : owned) {
    report::CheckedInput ci;
    int exit = kOk;
    if (!checker.check(*in, ci, exit)) return exit;
    checked.push_back(std::move(ci));
  }
  int code = checker.code();
  if (a.sarif) {
    std::cout << report::check_sarif(checked, slots());
  } else if (a.json) {
    std::cout << report::check_json(checked, slots(), code);
  } else {
    report::CheckReportOptions o;
    o.verbose = a.verbose;
    std::cout << report::check_text(checked, slots(), o);
  }
  return said_if_nothing(a, code);
}

}  // namespace

std::function<int()> add_check(CLI::App& app) {
  auto a = std::make_shared<CheckArgs>();
  app.add_option("inputs", a->inputs,
                 "state files or directories (searched recursively): the state JSON, QEMU 'info registers', KVM "
                 "dump_vmcs/dump_vmcb, Xen VMCS dumps, kvm_sregs text; '-' reads stdin");
  app.add_option("--trace", a->trace,
                 "check a trace of writes instead: JSON Lines ({\"step\",\"op\",\"writes\"}) or ftrace kvm_cr/kvm_msr "
                 "text; '-' reads stdin");
  app.add_option("--format", a->format, "input format: auto, json, qemu, kvm-vmcs, kvm-vmcb, xen-vmcs or kvm-sregs")
      ->default_str("auto");
  app.add_flag("--batch", a->batch, "one summary line per input (with --json: JSON Lines, one object per input)");
  app.add_option("--flavor", a->flavor, "which checks apply: arch, vmx or svm (default: from the input)")
      ->check(CLI::IsMember({"arch", "vmx", "svm"}));
  app.add_option("--set", a->sets, "override configuration, e.g. --set cpu.maxphyaddr=39 (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--expect", a->expect, "also compare with a spec state: reset, init, or a VMM's own (qemu.reset, kvm.init; vcpuspec compare lists them)");
  app.add_option("--before", a->before, "with --expect init: the state before INIT");
  app.add_option("--extra", a->extra,
                 "a state (JSON) whose fields fill what each input lacks, e.g. the MSRs a QEMU dump does not print; the "
                 "input's own values win");
  app.add_option("--check", a->only, "run only these checks (repeatable)")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--timeout", a->timeout_s, "Z3 time limit per query, seconds (--expect, and checks decided exactly)");
  app.add_flag("--three-valued", a->three_valued,
               "decide checks on missing fields with the generated code's known-bits evaluation only: no Z3 pass over "
               "what it leaves unknown (faster, less decided)");
  app.add_flag("--json", a->json, "machine output (vcpuspec.check/1)");
  app.add_flag("--sarif", a->sarif, "SARIF 2.1.0 output, for code-scanning tools")->excludes("--json");
  app.add_flag("-v,--verbose", a->verbose, "also list passing checks, every undecided check on its own and matching fields");
  app.add_flag("--entry-only", a->entry_only,
               "ask only whether the VM entry or VMRUN would fail: architecture findings are listed but do not set "
               "the exit code (an input with no VM entry exits 4)")
      ->excludes("--trace");
  return [a] { return run_check(*a); };
}

}  // namespace vcpuspec::cli

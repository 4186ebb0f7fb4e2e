#include "engine/run_checks.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "engine/not_loaded.hpp"
#include "runtime/table_cache.hpp"

namespace vcpuspec::engine {

// Compared in place, without measuring the tables' C strings first (strlen
// was about a tenth of a dump batch's time: every input tests every check).
bool scope_applies(const char* scope, std::string_view flavor) {
  if (scope[0] == 'a' && std::strcmp(scope, "arch") == 0) return true;
  size_t i = 0;
  for (; i < flavor.size(); ++i)
    if (scope[i] != flavor[i]) return false;  // also stops at scope's end
  return scope[i] == '\0';
}

const char* blame_name(Blame b) {
  switch (b) {
    case Blame::None: return "";
    case Blame::AnyCpu: return "invalid-state";
    case Blame::NeedsUnrestrictedGuest: return "needs-unrestricted-guest";
    case Blame::VmmEmulates: return "vmm-emulates";
    case Blame::Configuration: return "configuration";
  }
  return "";
}

bool answers_entry(const rt::CheckInfo& c) { return c.question[0] == 'e'; }

std::string question_text(const rt::CheckInfo& c, const CheckRun& run) {
  if (answers_entry(c))
    return c.scope[0] == 's' ? "entry (VMRUN would fail: #VMEXIT(INVALID), or #GP on VMRUN)"
                             : "entry (VM entry would fail: VMfail, or exit 0x80000021 invalid guest state)";
  // VM entry takes many states no CPU reaches: say so where no entry check refuses this one.
  return run.entry_asked && run.entry.fail == 0
             ? "architecture (no CPU is in this state by itself, though no entry check fails on it)"
             : "architecture (no CPU is in this state by itself)";
}

std::string blame_text(const CheckResult& r) {
  switch (r.blame) {
    case Blame::None: return "";
    case Blame::AnyCpu:
      return answers_entry(*r.info)
                 ? "no CPU accepts this state (with these controls): a bug in the guest state, or in the VMM that wrote it"
                 : "the state's own: a bug in the guest state, or in the VMM that wrote it";
    case Blame::NeedsUnrestrictedGuest:
      return "valid only with unrestricted guest, which this entry does not use (secondary.unrestricted_guest=0): "
             "the VMM must emulate or use vm86, or enable unrestricted guest";
    case Blame::VmmEmulates:
      return "KVM does not enter with these segments: without unrestricted guest it emulates the guest until VM entry "
             "would accept them (vmx_emulation_required, emulate_invalid_guest_state on by default)";
    case Blame::Configuration:
      return "inconsistent with the controls or CPU configuration it reads (" + r.config_read +
             "): a VMM setup bug, or a --set value that does not match the machine";
  }
  return "";
}

const char* answer_name(Answer a) {
  switch (a) {
    case Answer::Fails: return "fails";
    case Answer::Undecided: return "undecided";
    case Answer::Passes: return "passes";
    case Answer::NotAsked: return "not-asked";
  }
  return "";
}

namespace {

Answer answer(const Tally& t) { return t.fail ? Answer::Fails : t.unknown ? Answer::Undecided : Answer::Passes; }

}  // namespace

Answer CheckRun::entry_answer() const { return entry_asked ? answer(entry) : Answer::NotAsked; }
Answer CheckRun::architecture_answer() const { return answer(architecture); }

namespace {

// A check of the segment registers' VMCS fields (CS.ar, TR.base, ...).
bool reads_segment(const rt::CheckInfo& c, readers::Slots slots) {
  for (uint16_t i = 0; i < c.num_reads; ++i)
    if (slots[c.reads[i]].kind == rt::SlotKind::SegmentMember) return true;
  return false;
}

// Whose problem a failure is. The spec decides, not a table: the check is
// re-run with unrestricted guest on; failing that, a check that reads
// configuration blames the configuration, one that reads only state the state.
void assign_blame(const rt::CheckInfo& c, readers::Slots slots, const readers::StateInput& in, CheckResult& r) {
  if (in.vmm_emulates_invalid_segments && answers_entry(c) && reads_segment(c, slots)) {
    r.blame = Blame::VmmEmulates;
    return;
  }
  const long ug = readers::find_slot(slots, "secondary.unrestricted_guest");
  const long ept = readers::find_slot(slots, "secondary.enable_ept");
  if (ug >= 0 && in.flavor == "vmx" && !(in.state.has(static_cast<size_t>(ug)) && in.state.get(static_cast<size_t>(ug)))) {
    rt::State with_ug = in.state;
    with_ug.set(static_cast<size_t>(ug), 1);
    if (ept >= 0) with_ug.set(static_cast<size_t>(ept), 1);  // UG requires EPT (VMX.CTL.UG_NEEDS_EPT)
    rt::Verdict v = c.eval(with_ug);
    if (v == rt::Verdict::Pass || v == rt::Verdict::NotApplicable) {
      r.blame = Blame::NeedsUnrestrictedGuest;
      return;
    }
  }
  // Name the configuration the failure's facts mention; else what the check reads.
  std::vector<std::string> named, read;
  for (uint16_t i = 0; i < c.num_reads; ++i) {
    const rt::SlotInfo& s = slots[c.reads[i]];
    if (!rt::is_config_slot(s.kind)) continue;
    read.push_back(s.name);
    for (const rt::Fact& f : r.facts)
      if (f.field.rfind(s.name, 0) == 0 || f.because.find(s.name) != std::string::npos) {
        named.push_back(s.name);
        break;
      }
  }
  // Configuration that only selects where the rule applies (`when
  // entry.ia32e_mode_guest`) does not make it a configuration problem: the
  // failure's facts must name it.
  if (named.empty()) {
    r.blame = Blame::AnyCpu;
    return;
  }
  r.blame = Blame::Configuration;
  for (size_t i = 0; i < named.size() && i < 4; ++i) r.config_read += (i ? ", " : "") + named[i];
  if (named.size() > 4) r.config_read += ", ...";
}

// Which checks and groups apply to a flavor, and which applicable checks no
// group covers: found once per table and flavor (every check's scope tested
// twice per input was a fifth of a dump batch's checking time).
struct Plan {
  std::vector<uint32_t> applicable;               // check indices, in spec order
  std::vector<const rt::CheckGroup*> groups_here;  // groups of the flavor's scopes
  std::vector<uint32_t> ungrouped;                // applicable checks no group of groups_here covers
};

const Plan& plan_for(std::span<const rt::CheckInfo> checks, std::span<const rt::CheckGroup> groups, std::string_view flavor) {
  auto key = std::tuple(checks.data(), checks.size(), groups.data(), groups.size(), std::string(flavor));
  return rt::once_per_table<Plan>(key, [&] {
    Plan p;
    std::vector<bool> covered(checks.size(), false);
    for (const rt::CheckGroup& g : groups) {
      if (!g.eval || !scope_applies(g.scope, flavor)) continue;
      p.groups_here.push_back(&g);
      for (unsigned k = 0; k < g.num_checks; ++k)
        if (g.checks[k] < checks.size()) covered[g.checks[k]] = true;
    }
    for (size_t i = 0; i < checks.size(); ++i) {
      if (!scope_applies(checks[i].scope, flavor)) continue;
      p.applicable.push_back(static_cast<uint32_t>(i));
      if (!covered[i]) p.ungrouped.push_back(static_cast<uint32_t>(i));
    }
    return p;
  });
}

// Every check's verdict, NotApplicable outside the plan: groups first, then the rest one by one.
std::vector<rt::Verdict> verdicts(const Plan& plan, std::span<const rt::CheckInfo> checks, const rt::State& s) {
  std::vector<rt::Verdict> v(checks.size(), rt::Verdict::NotApplicable);
  for (const rt::CheckGroup* g : plan.groups_here) {
    const rt::GroupVerdicts gv = g->eval(s);
    for (unsigned k = 0; k < g->num_checks; ++k)
      if (g->checks[k] < checks.size()) v[g->checks[k]] = gv.at(k);
  }
  for (uint32_t i : plan.ungrouped) v[i] = checks[i].eval(s);
  return v;
}

}  // namespace

void explain_failure(readers::Slots slots, const readers::StateInput& in, CheckResult& r) {
  r.info->explain(in.state, r.facts);
  assign_blame(*r.info, slots, in, r);
}

std::vector<rt::Verdict> applicable_verdicts(std::span<const rt::CheckInfo> checks, std::span<const rt::CheckGroup> groups,
                                             const rt::State& s, std::string_view flavor) {
  return verdicts(plan_for(checks, groups, flavor), checks, s);
}

CheckRun run_checks(std::span<const rt::CheckInfo> checks, readers::Slots slots, const readers::StateInput& in,
                    const std::vector<std::string>& only) {
  return run_checks(checks, {}, slots, in, only);
}

CheckRun run_checks(std::span<const rt::CheckInfo> checks, std::span<const rt::CheckGroup> groups, readers::Slots slots,
                    const readers::StateInput& in, const std::vector<std::string>& only) {
  CheckRun run;
  run.entry_asked = in.flavor != "arch";
  const Plan& plan = plan_for(checks, groups, in.flavor);
  const std::vector<rt::Verdict> by_check = verdicts(plan, checks, in.state);
  run.results.reserve(plan.applicable.size());
  for (uint32_t i : plan.applicable) {
    const rt::CheckInfo& c = checks[i];
    if (!only.empty() && std::find(only.begin(), only.end(), c.id) == only.end()) continue;
    CheckResult r;
    r.info = &c;
    r.verdict = by_check[i];
    Tally& question = answers_entry(c) ? run.entry : run.architecture;
    switch (r.verdict) {
      case rt::Verdict::Pass: ++run.pass, ++question.pass; break;
      case rt::Verdict::NotApplicable: ++run.not_applicable; break;
      case rt::Verdict::Fail:
        ++run.fail, ++question.fail;
        explain_failure(slots, in, r);
        break;
      case rt::Verdict::Unknown:
        if (reads_only_not_loaded(c, slots, in)) {
          r.verdict = rt::Verdict::NotApplicable;
          ++run.not_applicable;
          break;
        }
        ++run.unknown, ++question.unknown;
        if (run.missing_fields.empty()) run.missing_fields.reserve(256);  // one allocation for most inputs
        r.missing_at = static_cast<uint32_t>(run.missing_fields.size());
        for (uint16_t k = 0; k < c.num_reads; ++k)
          if (!in.state.has(c.reads[k])) run.missing_fields.push_back(slots[c.reads[k]].name);
        r.num_missing = static_cast<uint32_t>(run.missing_fields.size()) - r.missing_at;
        break;
    }
    run.results.push_back(std::move(r));
  }
  return run;
}

}  // namespace vcpuspec::engine

#include "engine/replay_trace.hpp"

#include <algorithm>

namespace vcpuspec::engine {

namespace {

// The bits the CPU's side effects touch (SDM Vol.3 2.2.1 EFER, 2.5 CR0).
constexpr uint64_t kCr0Pg = 1ULL << 31;
constexpr uint64_t kEferLme = 1ULL << 8;
constexpr uint64_t kEferLma = 1ULL << 10;

long slot_named(readers::Slots slots, const char* name) { return readers::find_slot(slots, name); }

bool writes_slot(const readers::TraceStep& s, long slot) {
  return slot >= 0 && std::any_of(s.writes.begin(), s.writes.end(),
                                  [&](const auto& w) { return w.first == static_cast<size_t>(slot); });
}

// What the CPU does besides the write itself, for guest instructions only (a
// VMM write is literal). MOV to CR0: EFER.LMA becomes CR0.PG && EFER.LME (SDM
// Vol.3 9.8.5, "IA-32e mode activation"). WRMSR to EFER: LMA is read-only, the
// write keeps it (SDM Vol.3 2.2.1; KVM set_efer keeps arch.efer's LMA).
void cpu_side_effects(const readers::TraceStep& s, readers::Slots slots, const rt::State& old, rt::State& cur) {
  long cr0 = slot_named(slots, "CR0"), efer = slot_named(slots, "EFER");
  if (cr0 < 0 || efer < 0) return;
  const size_t c = static_cast<size_t>(cr0), e = static_cast<size_t>(efer);
  if (writes_slot(s, cr0) && !writes_slot(s, efer) && cur.has(e)) {
    uint64_t v = cur.get(e) & ~kEferLma;
    if ((cur.get(c) & kCr0Pg) && (v & kEferLme)) v |= kEferLma;
    cur.set(e, v);
  }
  if (writes_slot(s, efer)) {
    uint64_t v = cur.get(e) & ~kEferLma;
    if (old.has(e)) v |= old.get(e) & kEferLma;
    else if (cur.has(c) && (cur.get(c) & kCr0Pg) && (v & kEferLme)) v |= kEferLma;
    else v |= cur.get(e) & kEferLma;  // nothing better known: as written
    cur.set(e, v);
  }
}

readers::StateInput as_input(readers::Slots slots, const rt::State& s, const readers::TraceVcpu& vcpu,
                             const std::string& flavor) {
  readers::StateInput in;
  in.part = vcpu.name;
  in.flavor = flavor;
  in.state = s;
  in.origin.assign(s.size(), readers::Origin::Missing);
  for (size_t i = 0; i < s.size(); ++i)
    if (s.has(i)) in.origin[i] = readers::Origin::Given;
  readers::apply_defaults(slots, in);  // configuration the trace does not give: the spec's defaults
  return in;
}

bool rule_governs(const rt::TransitionInfo& r, const readers::TraceStep& s) {
  for (uint16_t k = 0; k < r.num_on; ++k)
    if (writes_slot(s, r.on[k])) return true;
  return false;
}

}  // namespace

TraceRun replay_trace(std::span<const rt::TransitionInfo> rules, std::span<const rt::CheckInfo> checks,
                      readers::Slots slots, const readers::TraceVcpu& vcpu, const std::string& flavor) {
  TraceRun run;
  run.vcpu = &vcpu;
  rt::State cur(slots.size());
  for (size_t i = 0; i < vcpu.steps.size(); ++i) {
    const readers::TraceStep& s = vcpu.steps[i];
    const rt::State old = cur;
    for (const auto& [slot, value] : s.writes) cur.set(slot, value);
    ++run.steps_replayed;
    if (s.sets_state) {
      ++run.snapshots;
      continue;
    }
    if (s.by == readers::Writer::Guest) cpu_side_effects(s, slots, old, cur);
    auto finding_here = [&](TraceFinding f) {
      f.step = i;
      for (size_t k = 0; k < slots.size(); ++k) {
        bool changed = cur.has(k) && (!old.has(k) || old.get(k) != cur.get(k));
        if (!changed && !writes_slot(s, static_cast<long>(k))) continue;
        f.after.emplace_back(k, cur.get(k));
        f.before.emplace_back(k, old.has(k) ? std::optional<uint64_t>(old.get(k)) : std::nullopt);
      }
      run.finding = std::move(f);
    };
    bool guest_runs = true;
    if (s.by == readers::Writer::Guest) {
      ++run.guest_writes;
      for (const rt::TransitionInfo& r : rules) {
        if (!scope_applies(r.scope, flavor) || !rule_governs(r, s)) continue;
        switch (r.eval(cur, old)) {
          case rt::Verdict::Pass: ++run.rule_pass; break;
          case rt::Verdict::NotApplicable: ++run.rule_na; break;
          case rt::Verdict::Unknown: {
            ++run.rule_unknown;
            std::string missing;
            // A rule reads both states: name what is unknown in which (`old.CR4`: before the step).
            auto add = [&](const std::string& n) { missing += (missing.empty() ? "" : ", ") + n; };
            for (uint16_t k = 0; k < r.num_reads; ++k) {
              const std::string name = slots[r.reads[k]].name;
              if (!cur.has(r.reads[k])) add(name);
              else if (!old.has(r.reads[k])) add("old." + name);
            }
            run.undecided.push_back(std::string(r.id) + " at step " + s.step + " (not known: " + missing + ")");
            break;
          }
          case rt::Verdict::Fail: {
            TraceFinding f;
            f.rule = &r;
            r.explain(cur, old, f.facts);
            finding_here(std::move(f));
            return run;
          }
        }
      }
    } else {
      ++run.vmm_writes;
      // The guest runs only once the VMM's run of writes ends.
      guest_runs = i + 1 == vcpu.steps.size() || vcpu.steps[i + 1].by != readers::Writer::Vmm ||
                   vcpu.steps[i + 1].sets_state;
    }
    if (!guest_runs) continue;
    ++run.state_points;
    CheckRun cr = run_checks(checks, slots, as_input(slots, cur, vcpu, flavor));
    if (cr.fail) {
      TraceFinding f;
      f.checks = std::move(cr);
      finding_here(std::move(f));
      return run;
    }
  }
  return run;
}

}  // namespace vcpuspec::engine

#include "engine/decide_exactly.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "engine/expect_state.hpp"

namespace vcpuspec::engine {

namespace {

using Kind = smt::CompletionVerdict::Kind;

// How many values a missing slot can take, if few: a ranged parameter, a
// feature or control bit, a narrow field. 0: too many to list.
uint64_t values_of(const rt::SlotInfo& s) {
  if (s.has_range) return s.range_hi - s.range_lo + 1;
  return s.width <= 12 ? 1ULL << s.width : 0;
}
uint64_t first_value(const rt::SlotInfo& s) { return s.has_range ? s.range_lo : 0; }

// The missing fields `c` reads, and how the completions below fill them.
// `full` is the input's state, shared by every check of the input (a copy
// per check was most of this pass's time): completions are written over
// the missing fields, which are missing again once this is gone.
struct Completions {
  const rt::CheckInfo& c;
  readers::Slots slots;
  std::vector<uint16_t> missing;
  rt::State& full;
  bool fails = false, holds = false, applies = false;
  smt::CompletionVerdict out;

  Completions(const rt::CheckInfo& check, readers::Slots sl, rt::State& state) : c(check), slots(sl), full(state) {
    for (uint16_t k = 0; k < c.num_reads; ++k)
      if (!full.has(c.reads[k])) missing.push_back(c.reads[k]);
  }
  ~Completions() {
    for (uint16_t id : missing) full.clear(id);
  }
  Completions(const Completions&) = delete;
  Completions& operator=(const Completions&) = delete;

  // Writes `values` (fields by name, as both the listing and Z3 give them)
  // over the missing fields.
  void write(const std::vector<smt::FieldValue>& values) {
    for (const smt::FieldValue& f : values)
      if (long id = readers::find_slot(slots, f.field); id >= 0) full.set(static_cast<size_t>(id), f.value);
  }

  std::vector<smt::FieldValue> values() const {
    std::vector<smt::FieldValue> v;
    for (uint16_t id : missing)
      v.push_back({rt::is_state_slot(slots[id].kind) ? "state" : "config", slots[id].name, full.get(id), slots[id].width});
    return v;
  }
  // Judges the completion in `full` with the generated code; true once both a
  // failing and a holding completion were seen.
  bool judge() {
    rt::Verdict v = c.eval(full);
    if (v == rt::Verdict::Fail && !fails) fails = true, out.fails_with = values();
    if (v != rt::Verdict::Fail && !holds) holds = true, out.holds_with = values();
    applies |= v != rt::Verdict::NotApplicable;
    return fails && holds;
  }
  smt::CompletionVerdict undecided() {
    out.kind = Kind::Undecided;
    return std::move(out);
  }
};

// A few completions tried first: the lowest values, the highest,
// pseudo-random ones, then each field one of its lowest, highest, upper half
// set (a VMX capability MSR allowing every control), lower half set, a
// number the check compares with, a small value (a segment type), an
// event-injection field with or without its valid bit, or a pseudo-random
// value. Finding one that fails and one that holds settles the check as
// undecided with no solver (most undecided checks lack whole registers or
// capabilities); the draws depend on the check's id only, so every run shows
// the same completions.
std::optional<smt::CompletionVerdict> sample(Completions& cs) {
  uint64_t seed = 0xcbf29ce484222325ULL;  // FNV-1a of the check's id
  for (const char* p = cs.c.id; *p; ++p) seed = (seed ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  // Numbers the check's condition and predicate compare with (`ACTIVITY_STATE == 3`).
  std::vector<uint64_t> constants;
  for (const char* text : {cs.c.when, cs.c.predicate})
    for (const char* p = text; *p; ++p)
      if (std::isdigit(static_cast<unsigned char>(*p)) &&
          (p == text || (!std::isalnum(static_cast<unsigned char>(p[-1])) && p[-1] != '_'))) {
        char* end = nullptr;
        constants.push_back(std::strtoull(p, &end, 0));
        p = end - 1;
      }
  auto next = [&] {  // splitmix64: every bit of every draw is usable (an LCG's low bits cycle)
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (unsigned t = 0; t < 64; ++t) {
    for (uint16_t id : cs.missing) {
      const rt::SlotInfo& sl = cs.slots[id];
      const uint64_t lo = first_value(sl), hi = sl.has_range ? sl.range_hi : rt::mask_of(sl.width);
      const uint64_t r = next();
      uint64_t v = r;
      switch (t < 2 ? t : t < 18 ? 4 : r % 8) {
        case 0: v = lo; break;
        case 1: v = hi; break;
        case 2: v = hi & ~rt::mask_of(sl.width / 2); break;
        case 3: v = hi & rt::mask_of(sl.width / 2); break;
        case 5: v = constants.empty() ? lo + (r >> 8) % 16 : constants[(r >> 8) % constants.size()]; break;
        case 6: v = (r >> 8) % 2 ? 0x80000000ULL | ((r >> 16) & 0x7FF) : 0; break;  // an event field, valid or not
        case 7: v = lo + (r >> 8) % 16; break;
        default: v = hi - lo == ~0ULL ? next() : lo + next() % (hi - lo + 1);
      }
      v &= rt::mask_of(sl.width);
      cs.full.set(id, v < lo || v > hi ? lo + v % (hi - lo + 1) : v);  // a completion stays in range
    }
    if (cs.judge()) return cs.undecided();
  }
  return std::nullopt;
}

// Every completion, when there are at most kMaxCompletions (a ranged
// MAXPHYADDR, feature and control bits, narrow fields), each judged by the
// generated code on plain values: exact, and far cheaper than asking Z3.
// Null when there are more.
constexpr uint64_t kMaxCompletions = 4096;

std::optional<smt::CompletionVerdict> enumerate(Completions& cs) {
  uint64_t total = 1;
  for (uint16_t id : cs.missing) {
    uint64_t n = values_of(cs.slots[id]);
    if (n == 0 || total * n > kMaxCompletions) return std::nullopt;
    total *= n;
  }
  for (uint64_t n = 0; n < total; ++n) {
    uint64_t rest = n;  // completion n, in mixed radix over `missing`
    for (uint16_t id : cs.missing) {
      uint64_t count = values_of(cs.slots[id]);
      cs.full.set(id, first_value(cs.slots[id]) + rest % count);
      rest /= count;
    }
    if (cs.judge()) return cs.undecided();
  }
  smt::CompletionVerdict out = std::move(cs.out);
  out.kind = cs.fails ? Kind::Fail : cs.applies ? Kind::Pass : Kind::NotApplicable;
  out.holds_with.clear();
  return out;
}

// Two completions of an undecided check that differ in one field: walking
// from the holding one to the failing one a field at a time, the verdict
// flips at some step, and that field is one the check turns on.
void one_field_apart(Completions& cs, smt::CompletionVerdict& v) {
  if (v.fails_with.size() != v.holds_with.size()) return;
  std::vector<long> ids;
  for (const smt::FieldValue& f : v.holds_with) {
    ids.push_back(readers::find_slot(cs.slots, f.field));
    if (ids.back() < 0) return;
  }
  for (size_t k = 0; k < ids.size(); ++k) cs.full.set(static_cast<size_t>(ids[k]), v.holds_with[k].value);
  for (size_t k = 0; k < ids.size(); ++k) {
    if (v.fails_with[k].value == v.holds_with[k].value) continue;
    cs.full.set(static_cast<size_t>(ids[k]), v.fails_with[k].value);
    if (cs.c.eval(cs.full) != rt::Verdict::Fail) {
      v.holds_with[k].value = v.fails_with[k].value;  // still holds: the step is part of both
      continue;
    }
    // The walk so far holds and fails at field k: the rest of the failing
    // completion is the holding one's.
    for (size_t j = 0; j < ids.size(); ++j)
      if (j != k) v.fails_with[j].value = v.holds_with[j].value;
    return;
  }
}

}  // namespace

ExactCounts decide_exactly(CheckRun& run, std::span<const rt::CheckInfo> checks, readers::Slots slots,
                           const readers::StateInput& in, const SolverSource& solver) {
  ExactCounts n;
  if (run.unknown == 0) return n;
  smt::KnownValues known;  // filled on the first question for Z3
  auto ask = [&](size_t i, smt::CompletionVerdict& v) {
    smt::CompletionDecider* d = solver();
    if (!d || i >= d->model().checks.size() || d->model().checks[i].id != checks[i].id) return false;
    if (known.known.empty()) known = known_values(in, slots.size());
    v = d->decide(i, known);
    return true;
  };
  rt::State scratch = in.state;  // completions are written here
  for (CheckResult& r : run.results) {
    if (r.verdict != rt::Verdict::Unknown) continue;
    ++n.asked;
    Completions cs(*r.info, slots, scratch);
    std::optional<smt::CompletionVerdict> listed = sample(cs);
    if (!listed) listed = enumerate(cs);
    smt::CompletionVerdict v;
    if (listed) v = std::move(*listed);
    else if (!ask(static_cast<size_t>(r.info - checks.data()), v)) continue;
    n.listed += listed.has_value();
    Tally& question = answers_entry(*r.info) ? run.entry : run.architecture;
    switch (v.kind) {
      case Kind::Undecided:
        one_field_apart(cs, v);
        r.fails_with = std::move(v.fails_with);
        r.holds_with = std::move(v.holds_with);
        continue;
      case Kind::GaveUp:
        r.gave_up = v.reason;
        ++n.gave_up;
        continue;
      case Kind::Fail:
        r.verdict = rt::Verdict::Fail;
        ++run.fail, ++question.fail;
        explain_failure(slots, in, r);
        if (std::none_of(r.facts.begin(), r.facts.end(), [](const rt::Fact& f) { return f.known; })) {
          // Facts of unknown value say little: show them on one completion,
          // and say which (every completion fails alike).
          cs.write(v.fails_with);
          r.facts.clear();
          r.info->explain(cs.full, r.facts);
          r.fails_with = std::move(v.fails_with);
        }
        break;
      case Kind::Pass:
        r.verdict = rt::Verdict::Pass;
        ++run.pass, ++question.pass;
        break;
      case Kind::NotApplicable:
        r.verdict = rt::Verdict::NotApplicable;
        ++run.not_applicable;
        break;
    }
    r.exact = true;  // keeps its missing fields: the verdict holds for every value of them
    r.exact_by = listed ? "every completion listed" : "Z3";  // sampling never decides: listed means enumerated
    --run.unknown, --question.unknown;
    ++n.decided;
  }
  return n;
}

}  // namespace vcpuspec::engine

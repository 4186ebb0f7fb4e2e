#include "engine/expect_state.hpp"

#include <vector>

namespace vcpuspec::engine {

namespace {

std::vector<rt::ExpectedSlot> expected_slots(const rt::StateInfo& state, readers::Slots slots,
                                             const readers::StateInput& in, const readers::StateInput* before) {
  std::vector<rt::ExpectedSlot> exp(slots.size());
  state.expected(in.state, before ? &before->state : nullptr, exp.data());
  return exp;
}

}  // namespace

smt::KnownValues known_values(const readers::StateInput& in, size_t n) {
  smt::KnownValues kv;
  kv.value.resize(n);
  kv.known.resize(n);
  for (size_t i = 0; i < n; ++i) {
    kv.known[i] = in.state.has(i);
    kv.value[i] = in.state.get(i);
  }
  return kv;
}

bool expect_decidable(const rt::StateInfo& state, readers::Slots slots, const readers::StateInput& in,
                      const readers::StateInput* before) {
  auto exp = expected_slots(state, slots, in, before);
  for (size_t i = 0; i < slots.size(); ++i)
    if (rt::is_state_slot(slots[i].kind) && in.state.has(i) && (exp[i].care & ~exp[i].known)) return false;
  return true;
}

smt::ExpectReport expect_state(const rt::StateInfo& state, readers::Slots slots, const readers::StateInput& in,
                               const readers::StateInput* before, const ir::Model* model, const ExpectOptions& opts,
                               bool* used_solver) {
  if (used_solver) *used_solver = false;
  if ((opts.force_solver || !expect_decidable(state, slots, in, before)) && model) {
    const ir::StateDef* def = model->find_state(state.name);
    if (def) {
      if (used_solver) *used_solver = true;
      smt::KnownValues cur = known_values(in, slots.size());
      smt::KnownValues prev;
      if (before) prev = known_values(*before, slots.size());
      return smt::compare_expected(*model, *def, cur, before ? &prev : nullptr, opts.limits);
    }
  }
  smt::ExpectReport rep;
  rep.state = state.name;
  rep.outcome = smt::Outcome::Proved;
  auto exp = expected_slots(state, slots, in, before);
  bool undecided = false;
  for (size_t i = 0; i < slots.size(); ++i) {
    const rt::SlotInfo& s = slots[i];
    if (!rt::is_state_slot(s.kind)) continue;
    smt::FieldComparison fc;
    fc.slot = static_cast<ir::SlotId>(i);
    fc.field = s.name;
    fc.width = s.width;
    fc.care = exp[i].care;
    fc.actual = in.state.get(i);
    if (!in.state.has(i)) {
      fc.why = "not in the input";
    } else if (fc.care == 0) {
      fc.why = std::string(state.name) + " leaves it unspecified";
    } else if (fc.care & ~exp[i].known) {
      fc.why = "depends on inputs not given";
      undecided = true;
    } else {
      uint64_t want = exp[i].value & fc.care;
      std::string mask_note = fc.care == rt::mask_of(s.width) ? "" : " (bits " + rt::format_value(fc.care, s.width) + ")";
      fc.expected = rt::format_value(want, s.width) + mask_note;
      if ((fc.actual & fc.care) == want) {
        fc.match = smt::FieldMatch::Match;
      } else {
        fc.match = smt::FieldMatch::Mismatch;
        rep.outcome = smt::Outcome::Failed;
      }
    }
    rep.fields.push_back(std::move(fc));
  }
  if (undecided && rep.outcome == smt::Outcome::Proved) {
    rep.outcome = smt::Outcome::Unknown;
    rep.reason = "some expected values depend on configuration or a previous state the input does not give";
  }
  return rep;
}

}  // namespace vcpuspec::engine

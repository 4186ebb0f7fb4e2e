// The generated RESET/INIT functions equal the Z3 reading of the spec's
// states, and the C++ comparison path equals the Z3 comparison path.
#include <catch2/catch.hpp>

#include "checker.gen.hpp"
#include "differential/state_gen.hpp"
#include "differential/tables.hpp"
#include "engine/expect_state.hpp"
#include "support/helpers.hpp"
#include "z3/ground_eval.hpp"

using namespace vcpuspec;

namespace {

void expected_differential(const test::Tables& t, uint64_t seed) {
  const ir::Model& m = *t.model;
  REQUIRE(m.states.size() == t.states.size());
  test::StateGen gen(m, seed);
  smt::GroundEvaluator z3eval(m);
  size_t compared = 0, wrong = 0;
  std::string first;
  for (size_t si = 0; si < m.states.size(); ++si) {
    const ir::StateDef& def = m.states[si];
    REQUIRE(def.name == t.states[si].name);
    for (unsigned k = 0; k < 3000; ++k) {
      std::vector<uint64_t> prev = gen.random(k);
      rt::State s(prev.size());
      for (size_t i = 0; i < prev.size(); ++i) s.set(i, prev[i]);  // configuration and prev in one
      std::vector<rt::ExpectedSlot> exp(prev.size());
      t.states[si].expected(s, &s, exp.data());
      std::vector<uint64_t> z = z3eval.state(def, prev);
      for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
        if (!ir::is_state(m.slot(id).kind)) continue;
        uint64_t care = def.init[id] ? def.init[id]->care_mask() : 0;
        ++compared;
        bool ok = exp[id].care == care && (exp[id].known & care) == care && (exp[id].value & care) == (z[id] & care);
        if (!ok && wrong++ < 5)
          first += def.name + " " + m.slot(id).name + ": C++ " + ir::format_value(exp[id].value, 64) + " Z3 " +
                   ir::format_value(z[id] & care, 64) + "\n";
      }
    }
  }
  INFO(first);
  CHECK(wrong == 0);
  CHECK(compared > 10000);
}

}  // namespace

TEST_CASE("generated expected states equal Z3's on every defined bit", "[differential][expect]") {
  expected_differential(test::x86_tables(), 0x5eed0004);
  expected_differential(test::ops_tables(), 0x5eed0007);
}

TEST_CASE("the C++ and Z3 paths of --expect agree field by field", "[differential][expect]") {
  const ir::Model& m = *test::builtin_spec().model;
  test::StateGen gen(m, 0x5eed0005);
  size_t wrong = 0;
  std::string first;
  for (size_t si = 0; si < generated::kNumStates; ++si) {
    for (unsigned k = 0; k < 16; ++k) {
      // Start from the exact expected state, then break a few fields.
      std::vector<uint64_t> prev = gen.reset_like();
      for (int j = 0; j < 6; ++j) {
        ir::SlotId id = static_cast<ir::SlotId>(gen.rng()() % prev.size());
        prev[id] = gen.value_for(id);
      }
      // Readers reject configuration outside its range; so does this test.
      for (ir::SlotId id = 0; id < prev.size(); ++id)
        if (const auto& r = m.slot(id).range; r && (prev[id] < r->first || prev[id] > r->second)) prev[id] = r->first;
      readers::StateInput before = test::full_input();
      for (size_t i = 0; i < prev.size(); ++i) before.state.set(i, prev[i]);
      std::vector<rt::ExpectedSlot> exp(prev.size());
      generated::kStates[si].expected(before.state, &before.state, exp.data());
      readers::StateInput in = test::full_input();
      for (size_t i = 0; i < prev.size(); ++i)
        in.state.set(i, rt::is_state_slot(generated::kSlots[i].kind) ? (exp[i].value | (prev[i] & ~exp[i].care)) : prev[i]);
      for (int j = 0; j < static_cast<int>(k % 4); ++j) {
        size_t id = gen.rng()() % prev.size();
        if (rt::is_state_slot(generated::kSlots[id].kind)) in.state.set(id, gen.value_for(static_cast<ir::SlotId>(id)));
      }
      engine::ExpectOptions fast, exact;
      exact.force_solver = true;
      bool used = false;
      smt::ExpectReport a = engine::expect_state(generated::kStates[si], test::slots(), in, &before, &m, fast, &used);
      REQUIRE_FALSE(used);
      smt::ExpectReport b = engine::expect_state(generated::kStates[si], test::slots(), in, &before, &m, exact, &used);
      REQUIRE(used);
      CHECK(a.outcome == b.outcome);
      REQUIRE(a.fields.size() == b.fields.size());
      for (size_t f = 0; f < a.fields.size(); ++f) {
        if (a.fields[f].match != b.fields[f].match && wrong++ < 5)
          first += a.fields[f].field + ": C++ " + smt::field_match_name(a.fields[f].match) + ", Z3 " +
                   smt::field_match_name(b.fields[f].match) + "\n";
      }
    }
  }
  INFO(first);
  CHECK(wrong == 0);
}

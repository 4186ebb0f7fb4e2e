// The generated C++ checker, the Z3 lowering and the IR's reference
// evaluator must agree on every check for every state: boundary states and
// random ones, at least 60,000 in all.
#include <catch2/catch.hpp>

#include "differential/state_gen.hpp"
#include "differential/tables.hpp"
#include "support/helpers.hpp"
#include "z3/ground_eval.hpp"

using namespace vcpuspec;

namespace {

rt::State to_state(const std::vector<uint64_t>& v) {
  rt::State s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s.set(i, v[i]);
  return s;
}

std::string describe(const ir::Model& m, const std::vector<uint64_t>& v, const ir::Check& c) {
  std::string s;
  for (ir::SlotId id : c.reads) s += " " + m.slot(id).name + "=" + ir::format_value(v[id], m.slot(id).width);
  return s;
}

}  // namespace

namespace {

// Runs `count` states through the three evaluators; returns the summary.
void differential(const test::Tables& t, uint64_t seed, size_t target, size_t min_boundary) {
  const ir::Model& m = *t.model;
  REQUIRE(m.slots.size() == t.slots.size());
  REQUIRE(m.checks.size() == t.checks.size());
  for (size_t i = 0; i < m.checks.size(); ++i) REQUIRE(m.checks[i].id == t.checks[i].id);
  for (size_t i = 0; i < m.slots.size(); ++i) REQUIRE(m.slots[i].name == t.slots[i].name);

  REQUIRE_NOTHROW(test::check_groups(t));
  test::StateGen gen(m, seed);
  smt::GroundEvaluator z3eval(m);
  std::vector<std::vector<uint64_t>> states = gen.boundary();
  const size_t boundary = states.size();
  for (unsigned k = 0; states.size() < target; ++k) states.push_back(gen.random(k));

  size_t disagreements = 0, fails_seen = 0, passes_seen = 0;
  test::GroupComparison groups;
  std::vector<size_t> fails_per_check(m.checks.size()), passes_per_check(m.checks.size());
  std::string first;
  // Z3's model evaluation costs ~2 ms a state: it sees every boundary state
  // and every 16th random one; the generated checker and the IR evaluator see
  // all of them (and are checked against each other on every state).
  size_t z3_states = 0;
  for (size_t n = 0; n < states.size(); ++n) {
    const std::vector<uint64_t>& v = states[n];
    rt::State s = to_state(v);
    const bool with_z3 = n < boundary || n % 16 == 0;
    std::vector<bool> z;
    if (with_z3) { z = z3eval.checks(v); ++z3_states; }
    // The groups (the checker's fast path) give each check's own verdict.
    test::compare_groups(t, s, groups, first);
    for (size_t i = 0; i < m.checks.size(); ++i) {
      const ir::Check& c = m.checks[i];
      rt::Verdict g = t.checks[i].eval(s);
      bool ir_when = !c.when || ir::evaluate(*c.when, v, nullptr);
      bool ir_ok = ir::evaluate(*c.assertion, v, nullptr);
      bool ir_holds = !ir_when || ir_ok;
      bool gen_holds = g == rt::Verdict::Pass || g == rt::Verdict::NotApplicable;
      bool gen_consistent = g != rt::Verdict::Unknown && (g == rt::Verdict::NotApplicable) == !ir_when;
      const bool z_holds = with_z3 ? static_cast<bool>(z[i]) : ir_holds;
      if (gen_holds != z_holds || ir_holds != z_holds || !gen_consistent) {
        if (disagreements++ < 5)
          first += c.id + ": generated " + rt::verdict_name(g) + ", Z3 " + (with_z3 ? (z_holds ? "holds" : "fails") : "not run") + ", IR " +
                   (ir_holds ? "holds" : "fails") + " on" + describe(m, v, c) + "\n";
      }
      if (z_holds) { ++passes_seen; ++passes_per_check[i]; }
      else { ++fails_seen; ++fails_per_check[i]; }
    }
  }
  INFO(first);
  CHECK(disagreements == 0);
  CHECK(groups.disagreements == 0);
  CHECK(states.size() >= target);
  CHECK(boundary > min_boundary);
  CHECK(z3_states >= boundary + (target - boundary) / 16);
  // The corpus exercises both outcomes of every check, or the test proves little.
  for (size_t i = 0; i < m.checks.size(); ++i) {
    INFO(m.checks[i].id);
    CHECK(fails_per_check[i] > 0);
    CHECK(passes_per_check[i] > 0);
  }
  WARN("differential: " << states.size() << " states (" << boundary << " boundary), " << m.checks.size()
                        << " checks, Z3 on " << z3_states << ", " << passes_seen << " holds, " << fails_seen << " fails, " << disagreements
                        << " disagreements");
}

}  // namespace

TEST_CASE("generated checker, Z3 and the IR evaluator agree on 60,000+ states", "[differential]") {
  differential(test::x86_tables(), 0x5eed0001, 60000, 5000);
}

TEST_CASE("the same three agree on every operator (synthetic spec)", "[differential]") {
  differential(test::ops_tables(), 0x5eed0006, 30000, 500);
}

// `loads F else e` (what the guest has where an entry control does not load
// F): the generated value function, the IR evaluator and Z3 agree, and the
// generated one decides it exactly when every field e reads is present.
TEST_CASE("differential: the value of a field the entry does not load", "[differential]") {
  const test::Tables t = test::x86_tables();
  const ir::Model& m = *t.model;
  test::StateGen gen(m, 0x10ad5);
  smt::GroundEvaluator z3eval(m);
  std::vector<std::vector<uint64_t>> states = gen.boundary();
  const size_t boundary = states.size();
  for (unsigned k = 0; states.size() < boundary + 4000; ++k) states.push_back(gen.random(k));
  size_t compared = 0, disagreements = 0;
  std::string first;
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    const ir::Slot& ctl = m.slot(id);
    if (!ctl.loads_else) continue;
    REQUIRE(t.slots[id].loads_else);
    std::vector<ir::SlotId> reads;
    ir::collect_reads(*ctl.loads_else, reads);
    const uint64_t mask = ir::mask_of(m.slot(ctl.loads.at(0)).width);
    for (size_t n = 0; n < states.size(); ++n) {
      const std::vector<uint64_t>& v = states[n];
      rt::State s = to_state(v);
      uint64_t got = 0;
      bool decided = t.slots[id].loads_else(s, got);
      const uint64_t ir_value = ir::evaluate(*ctl.loads_else, v, nullptr) & mask;
      const bool with_z3 = n < 200 || n % 64 == 0;
      const uint64_t z_value = with_z3 ? z3eval.value(*ctl.loads_else, v) & mask : ir_value;
      if (!decided || got != ir_value || z_value != ir_value) {
        if (disagreements++ < 5)
          first += ctl.name + ": generated " + (decided ? ir::format_value(got, 64) : std::string("undecided")) + ", IR " +
                   ir::format_value(ir_value, 64) + ", Z3 " + ir::format_value(z_value, 64) + "\n";
      }
      // With a field it reads missing, the generated function does not guess.
      rt::State partial = s;
      partial.clear(reads.at(n % reads.size()));
      uint64_t guess = 0;
      if (t.slots[id].loads_else(partial, guess) && guess != ir_value) ++disagreements;
      ++compared;
    }
  }
  INFO(first);
  CHECK(compared >= 4000);
  CHECK(disagreements == 0);
}

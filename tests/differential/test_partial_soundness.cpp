// With fields missing, the generated checker answers pass/fail/n-a only when
// every value of the missing fields gives that answer. Checked two ways:
// against many random completions (cheap), and exactly with Z3 (a sample).
#include <catch2/catch.hpp>

#include "checker.gen.hpp"
#include "differential/state_gen.hpp"
#include "differential/tables.hpp"
#include "support/helpers.hpp"
#include "z3/completion.hpp"

using namespace vcpuspec;

namespace {

struct Partial {
  std::vector<uint64_t> values;
  std::vector<uint8_t> known;
};

Partial drop(test::StateGen& gen, const std::vector<uint64_t>& v, double p) {
  Partial out{v, std::vector<uint8_t>(v.size(), 1)};
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t i = 0; i < v.size(); ++i)
    if (u(gen.rng()) < p) out.known[i] = 0;
  return out;
}

rt::State to_state(const Partial& p) {
  rt::State s(p.values.size());
  for (size_t i = 0; i < p.values.size(); ++i)
    if (p.known[i]) s.set(i, p.values[i]);
  return s;
}

}  // namespace

TEST_CASE("three-valued verdicts hold for every completion (random completions)", "[differential][partial]") {
  const ir::Model& m = *test::builtin_spec().model;
  test::StateGen gen(m, 0x5eed0002);
  size_t decided = 0, unknown = 0, wrong = 0, bare = 0;
  const test::Tables tables = test::x86_tables();
  test::GroupComparison groups;
  std::string first;
  for (unsigned k = 0; k < 5000; ++k) {
    Partial p = drop(gen, gen.random(k), k % 4 == 0 ? 0.002 : k % 4 == 1 ? 0.05 : k % 4 == 2 ? 0.3 : 0.7);
    rt::State s = to_state(p);
    // The groups agree with the checks on partial input too (their fast
    // path where a group's slots are all present, else check by check).
    test::compare_groups(tables, s, groups, first);
    for (size_t i = 0; i < m.checks.size(); ++i) {
      rt::Verdict g = generated::kChecks[i].eval(s);
      if (g == rt::Verdict::Unknown) { ++unknown; continue; }
      ++decided;
      if (g == rt::Verdict::Fail) {  // a failure always says why, even on partial input (`c ? a : b`, c unknown)
        std::vector<rt::Fact> facts;
        generated::kChecks[i].explain(s, facts);
        if (facts.empty() && bare++ < 5) first += m.checks[i].id + " failed with no fact\n";
      }
      const ir::Check& c = m.checks[i];
      for (int t = 0; t < 8; ++t) {
        std::vector<uint64_t> full = p.values;
        for (ir::SlotId id = 0; id < full.size(); ++id)
          if (!p.known[id]) full[id] = gen.value_for(id);
        bool when = !c.when || ir::evaluate(*c.when, full, nullptr);
        bool ok = ir::evaluate(*c.assertion, full, nullptr);
        bool agrees = g == rt::Verdict::NotApplicable ? !when : g == rt::Verdict::Pass ? (!when || ok) : (when && !ok);
        if (!agrees && wrong++ < 5) first += c.id + " said " + rt::verdict_name(g) + " but a completion disagrees\n";
      }
    }
  }
  INFO(first);
  CHECK(wrong == 0);
  CHECK(bare == 0);
  CHECK(groups.disagreements == 0);
  CHECK(groups.decided_groups > 1000);
  CHECK(decided > 60000);
  CHECK(unknown > 1000);
}

TEST_CASE("three-valued verdicts hold for every completion (exact, Z3)", "[differential][partial]") {
  const ir::Model& m = *test::builtin_spec().model;
  test::StateGen gen(m, 0x5eed0003);
  size_t proved = 0, wrong = 0;
  std::string first;
  for (unsigned k = 0; k < 20; ++k) {
    Partial p = drop(gen, gen.random(k), 0.4);
    rt::State s = to_state(p);
    smt::KnownValues kv{p.values, p.known};
    for (size_t i = 0; i < m.checks.size(); ++i) {
      rt::Verdict g = generated::kChecks[i].eval(s);
      if (g == rt::Verdict::Unknown) continue;
      smt::ForcedVerdict fv = g == rt::Verdict::NotApplicable ? smt::ForcedVerdict::NotApplicable
                              : g == rt::Verdict::Pass        ? smt::ForcedVerdict::Pass
                                                              : smt::ForcedVerdict::Fail;
      if (smt::verdict_forced(m, i, kv, fv)) ++proved;
      else if (wrong++ < 5) first += m.checks[i].id + ": " + rt::verdict_name(g) + " is not forced\n";
    }
  }
  INFO(first);
  CHECK(wrong == 0);
  CHECK(proved > 160);
}

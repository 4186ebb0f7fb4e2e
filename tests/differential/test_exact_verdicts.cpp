// The exact verdicts on partial states (z3/completion.hpp, engine/decide_exactly.hpp)
// against the question they answer, asked the slow way: every completion of
// the missing fields, each evaluated by the IR interpreter. Small widths keep
// the completions few enough to list.
#include <catch2/catch.hpp>

#include "builtin/check_model.hpp"
#include "checker.gen.hpp"
#include "differential/state_gen.hpp"
#include "engine/decide_exactly.hpp"
#include "engine/expect_state.hpp"
#include "ir/term_text.hpp"
#include "support/helpers.hpp"
#include "z3/completion.hpp"

using namespace vcpuspec;
using Kind = smt::CompletionVerdict::Kind;

namespace {

// Every operator whose three-valued result loses precision (shifts by a
// missing amount, arithmetic, comparisons, ite), at widths of a few bits.
const char* kSmallSpec = R"(
register A : 6 { LO 2:0; TOP 5; }
register B : 6;
register C : 4 { C0 0; }
register D : 3;
param p.n : 1..6 "a ranged shift";
param p.w : 3 "an unranged narrow parameter";
feature f.x;

def low(x : 6) "below 2^n" = x >> p.n == 0;

check T.SHR "shift by a ranged param" cite "test" scope arch assert low(A);
check T.SHL "left shift by a ranged param" cite "test" scope arch assert (B << p.n)[5:3] != 5;
check T.ADD "addition" cite "test" scope arch assert A + B < 0x30;
check T.SUB "subtraction" cite "test" scope arch assert A - B <= zext(C, 6);
check T.ITE "conditional value" cite "test" scope arch assert (f.x ? A : B) & zext(C, 6) != 0x9;
check T.WHEN "a condition" cite "test" scope arch when f.x && A.TOP assert B != zext(D, 6);
check T.SEXT "sign extension" cite "test" scope arch assert sext(C, 6) != A || D == 7;
check T.IN "membership" cite "test" scope arch assert D in {0, 3, 5} || C.C0;
check T.NEG "negation" cite "test" scope arch assert -C != C;
check T.CMP "comparison with a parameter" cite "test" scope arch when B > 7 assert A >= B - zext(p.w, 6);
check T.XOR "xor of slices" cite "test" scope arch assert (A ^ B)[3:1] != D;
check T.NEVER "no completion applies" cite "test" scope arch when p.n == 0 assert A == 0;
check T.RANGED "with B = 3 and A = 1 it fails for every p.n in range, not for p.n = 0" cite "test" scope arch assert B != 3 || A >> p.n == A;
)";

struct Completion {
  bool fails = false, holds = false, applies = false;
};

// The slow answer: every value of every missing slot `c` reads.
Completion every_completion(const ir::Model& m, const ir::Check& c, const smt::KnownValues& kv, bool ranges) {
  std::vector<ir::SlotId> missing;
  for (ir::SlotId id : c.reads)
    if (!kv.known[id]) missing.push_back(id);
  auto lo = [&](ir::SlotId id) { return ranges && m.slot(id).range ? m.slot(id).range->first : 0; };
  auto count = [&](ir::SlotId id) {
    const ir::Slot& s = m.slot(id);
    return ranges && s.range ? s.range->second - s.range->first + 1 : 1ULL << s.width;
  };
  uint64_t total = 1;
  for (ir::SlotId id : missing) total *= count(id);
  Completion out;
  std::vector<uint64_t> v = kv.value;
  for (uint64_t n = 0; n < total; ++n) {
    uint64_t rest = n;
    for (ir::SlotId id : missing) {
      v[id] = lo(id) + rest % count(id);
      rest /= count(id);
    }
    bool when = !c.when || ir::evaluate(*c.when, v, nullptr);
    bool ok = ir::evaluate(*c.assertion, v, nullptr);
    out.fails |= when && !ok;
    out.holds |= !when || ok;
    out.applies |= when;
  }
  return out;
}

const char* kind_name(Kind k) {
  static const char* names[] = {"not-applicable", "pass", "fail", "undecided", "gave-up"};
  return names[static_cast<int>(k)];
}

Kind expected_kind(const Completion& c) {
  return c.fails && c.holds ? Kind::Undecided : c.fails ? Kind::Fail : c.applies ? Kind::Pass : Kind::NotApplicable;
}

// A witness really is a completion with that outcome.
bool witness_fails(const ir::Model& m, const ir::Check& c, const smt::KnownValues& kv,
                   const std::vector<smt::FieldValue>& w, bool want_fail) {
  std::vector<uint64_t> v = kv.value;
  for (const smt::FieldValue& f : w) v[*m.find_slot(f.field)] = f.value;
  bool when = !c.when || ir::evaluate(*c.when, v, nullptr);
  bool ok = ir::evaluate(*c.assertion, v, nullptr);
  return (when && !ok) == want_fail;
}

}  // namespace

TEST_CASE("exact verdicts equal every completion listed (small widths)", "[differential][exact]") {
  auto spec = front::load_spec_sources({SourceFile{"small.vspec", kSmallSpec}});
  REQUIRE(spec->model);
  const ir::Model& m = *spec->model;
  test::StateGen gen(m, 0x5eed0e4a);
  std::uniform_int_distribution<int> coin(0, 2);
  for (bool ranges : {true, false}) {
    smt::CompletionDecider decider(m, smt::CompletionOptions{ranges, {}});
    size_t compared = 0, wrong = 0;
    size_t kinds[5] = {};
    std::string first;
    for (unsigned k = 0; k < 150; ++k) {
      smt::KnownValues kv{gen.random(k), std::vector<uint8_t>(m.slots.size(), 1)};
      for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
        const ir::Slot& s = m.slot(id);
        if (s.range && kv.value[id] < s.range->first) kv.value[id] = s.range->first;  // a given value is in range
        if (s.range && kv.value[id] > s.range->second) kv.value[id] = s.range->second;
        if (coin(gen.rng()) == 0) kv.known[id] = 0;
      }
      for (size_t i = 0; i < m.checks.size(); ++i) {
        const ir::Check& c = m.checks[i];
        Kind want = expected_kind(every_completion(m, c, kv, ranges));
        smt::CompletionVerdict got = decider.decide(i, kv);
        ++compared;
        ++kinds[static_cast<int>(got.kind)];
        bool ok = got.kind == want;
        if (ok && got.kind == Kind::Undecided)
          ok = witness_fails(m, c, kv, got.fails_with, true) && witness_fails(m, c, kv, got.holds_with, false);
        if (ok && got.kind == Kind::Fail) ok = witness_fails(m, c, kv, got.fails_with, true);
        if (!ok && wrong++ < 5)
          first += c.id + " state " + std::to_string(k) + (ranges ? " (ranges)" : " (no ranges)") + ": Z3 said " +
                   kind_name(got.kind) + ", every completion says " + kind_name(want) + "\n";
      }
    }
    INFO(first);
    CHECK(wrong == 0);
    CHECK(compared == 150 * m.checks.size());
    // Every kind of answer occurs, so the comparison means something.
    CHECK(kinds[static_cast<int>(Kind::NotApplicable)] > 0);
    CHECK(kinds[static_cast<int>(Kind::Pass)] > 0);
    CHECK(kinds[static_cast<int>(Kind::Fail)] > 0);
    CHECK(kinds[static_cast<int>(Kind::Undecided)] > 0);
    CHECK(kinds[static_cast<int>(Kind::GaveUp)] == 0);
  }
}

TEST_CASE("exact verdicts: CR3 bit 63 fails for every MAXPHYADDR, bit 51 only for some", "[differential][exact]") {
  const ir::Model& m = *test::builtin_spec().model;
  size_t i = 0;
  while (i < m.checks.size() && m.checks[i].id != "ARCH.CR3.PA") ++i;
  REQUIRE(i < m.checks.size());
  smt::CompletionDecider decider(m, smt::CompletionOptions{true, {}});
  smt::KnownValues kv{std::vector<uint64_t>(m.slots.size(), 0), std::vector<uint8_t>(m.slots.size(), 1)};
  kv.known[*m.find_slot("cpu.maxphyaddr")] = 0;
  kv.known[*m.find_slot("cpu.lam")] = 0;
  ir::SlotId cr3 = *m.find_slot("CR3");
  kv.value[cr3] = 0x8000000000001000;
  CHECK(decider.decide(i, kv).kind == Kind::Fail);
  kv.value[cr3] = 1ULL << 51;  // legal with MAXPHYADDR 52 only
  smt::CompletionVerdict v = decider.decide(i, kv);
  CHECK(v.kind == Kind::Undecided);
  kv.value[cr3] = 0x1000;
  CHECK(decider.decide(i, kv).kind == Kind::Pass);
  // The fast path alone leaves bit 63 undecided: the pass is needed.
  rt::State s(m.slots.size());
  for (ir::SlotId id = 0; id < m.slots.size(); ++id)
    if (kv.known[id]) s.set(id, id == cr3 ? 0x8000000000001000 : 0);
  CHECK(generated::kChecks[i].eval(s) == rt::Verdict::Unknown);
}

// The engine's pass settles most checks without Z3 (sampled completions that
// disagree, or every completion listed when few): those answers must be the
// ones Z3 gives.
TEST_CASE("exact verdicts: listing and sampling agree with Z3 (x86 spec, random partial states)", "[differential][exact]") {
  const ir::Model& m = *test::builtin_spec().model;
  test::StateGen gen(m, 0x5eed0e4b);
  smt::CompletionDecider decider(m, smt::CompletionOptions{true, {}});
  std::uniform_real_distribution<double> u(0, 1);
  size_t listed = 0, by_z3 = 0, wrong = 0, decided = 0, witnessed = 0;
  std::string first;
  for (unsigned k = 0; k < 40; ++k) {
    std::vector<uint64_t> values = gen.random(k);
    readers::StateInput in = test::full_input();
    in.flavor = k % 3 == 0 ? "arch" : k % 3 == 1 ? "vmx" : "svm";
    double p = k % 2 ? 0.05 : 0.3;
    for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
      const ir::Slot& s = m.slot(id);
      uint64_t v = values[id];
      if (s.range) v = std::clamp(v, s.range->first, s.range->second);
      if (u(gen.rng()) < p) in.state.clear(id);
      else in.state.set(id, v);
    }
    engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks}, test::slots(), in);
    std::vector<rt::Verdict> before;
    for (const engine::CheckResult& r : run.results) before.push_back(r.verdict);
    engine::ExactCounts n = engine::decide_exactly(run, {generated::kChecks, generated::kNumChecks}, test::slots(), in,
                                                   [&] { return &decider; });
    listed += n.listed;
    by_z3 += n.asked - n.listed;
    decided += n.decided;
    const smt::KnownValues kv = engine::known_values(in, m.slots.size());
    for (size_t j = 0; j < run.results.size(); ++j) {
      const engine::CheckResult& r = run.results[j];
      if (before[j] != rt::Verdict::Unknown) continue;
      size_t i = static_cast<size_t>(r.info - generated::kChecks);
      Kind z3 = decider.decide(i, kv).kind;
      rt::Verdict want = z3 == Kind::Fail ? rt::Verdict::Fail : z3 == Kind::Pass ? rt::Verdict::Pass
                         : z3 == Kind::NotApplicable ? rt::Verdict::NotApplicable : rt::Verdict::Unknown;
      if (r.verdict != want && wrong++ < 5)
        first += std::string(r.info->id) + " state " + std::to_string(k) + ": engine " + rt::verdict_name(r.verdict) +
                 " (" + r.exact_by + "), Z3 " + rt::verdict_name(want) + "\n";
      // The two completions shown for an undecided check: one fails, one
      // holds, and they differ in one field (one the verdict turns on).
      if (!r.fails_with.empty() && r.verdict == rt::Verdict::Unknown) {
        ++witnessed;
        size_t differ = 0;
        for (size_t f = 0; f < r.fails_with.size() && f < r.holds_with.size(); ++f)
          differ += r.fails_with[f].value != r.holds_with[f].value;
        if (differ != 1 && wrong++ < 5)
          first += std::string(r.info->id) + " state " + std::to_string(k) + ": the completions differ in " +
                   std::to_string(differ) + " fields\n";
        for (int side = 0; side < 2; ++side) {
          rt::State full = in.state;
          for (const smt::FieldValue& f : side ? r.holds_with : r.fails_with) full.set(*m.find_slot(f.field), f.value);
          if ((r.info->eval(full) == rt::Verdict::Fail) != (side == 0) && wrong++ < 5)
            first += std::string(r.info->id) + " state " + std::to_string(k) + ": the completion that " +
                     (side ? "holds" : "fails") + " does not\n";
        }
      }
    }
  }
  INFO(first);
  CHECK(wrong == 0);
  CHECK(listed > 500);
  CHECK(by_z3 > 0);
  CHECK(decided > 0);
  CHECK(witnessed > 500);
}

// `check` hands Z3 the checks rebuilt from the generated tables, not parsed
// from the spec: they must be the same expressions over the same slots.
TEST_CASE("exact verdicts: the checks rebuilt from the generated tables are the spec's", "[differential][exact]") {
  const ir::Model& parsed = *test::builtin_spec().model;
  const ir::Model& rebuilt = builtin::check_model();
  REQUIRE(rebuilt.slots.size() == parsed.slots.size());
  REQUIRE(rebuilt.checks.size() == parsed.checks.size());
  for (ir::SlotId id = 0; id < parsed.slots.size(); ++id) {
    INFO(parsed.slot(id).name);
    CHECK(rebuilt.slot(id).name == parsed.slot(id).name);
    CHECK(rebuilt.slot(id).width == parsed.slot(id).width);
    CHECK(rebuilt.slot(id).kind == parsed.slot(id).kind);
    CHECK(rebuilt.slot(id).range == parsed.slot(id).range);
  }
  test::StateGen gen(parsed, 0x5eed0e4c);
  std::vector<std::vector<uint64_t>> states;
  for (unsigned k = 0; k < 200; ++k) states.push_back(gen.random(k));
  size_t differ = 0;
  std::string first;
  for (size_t i = 0; i < parsed.checks.size(); ++i) {
    const ir::Check& p = parsed.checks[i];
    const ir::Check& r = rebuilt.checks[i];
    bool same = r.id == p.id && r.scope == p.scope && r.reads == p.reads && !r.when == !p.when &&
                ir::write_term(*r.assertion) == ir::write_term(*p.assertion) &&
                (!p.when || ir::write_term(*r.when) == ir::write_term(*p.when));
    for (const auto& v : states)  // and the same meaning, read back
      same = same && ir::evaluate(*r.assertion, v, nullptr) == ir::evaluate(*p.assertion, v, nullptr) &&
             (!p.when || ir::evaluate(*r.when, v, nullptr) == ir::evaluate(*p.when, v, nullptr));
    if (!same && differ++ < 5)
      first += p.id + " differs: " + ir::write_term(*p.assertion).substr(0, 200) + " / " +
               ir::write_term(*r.assertion).substr(0, 200) + "\n";
  }
  INFO(first);
  CHECK(differ == 0);
  CHECK_THROWS_AS(ir::read_term("o9:1:2 k1:1"), std::invalid_argument);
  CHECK_THROWS_AS(ir::read_term("k65:0"), std::invalid_argument);
  CHECK_THROWS_AS(ir::read_term("k1:1 k1:0"), std::invalid_argument);
}

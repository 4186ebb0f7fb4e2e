// Write rules (`transition`) through the generated checker, the Z3 lowering
// and the IR evaluator: every pair (old, new) must get the same verdict from
// all three. Pairs are writes: `new` is `old` with the governed register
// changed (one bit, one field edge, or a random value), sometimes with
// other state changed too, over boundary and random starting states.
#include <catch2/catch.hpp>

#include "checker.gen.hpp"
#include "differential/state_gen.hpp"
#include "support/helpers.hpp"
#include "z3/encode.hpp"
#include "z3/ground_eval.hpp"

using namespace vcpuspec;

namespace {

rt::State to_state(const std::vector<uint64_t>& v) {
  rt::State s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s.set(i, v[i]);
  return s;
}

// `old` with one governed register of `t` rewritten.
std::vector<uint64_t> write_of(const ir::Model& m, const ir::Transition& t, const std::vector<uint64_t>& old,
                               test::StateGen& gen, unsigned k) {
  std::vector<uint64_t> cur = old;
  std::mt19937_64& rng = gen.rng();
  ir::SlotId target = t.on[rng() % t.on.size()];
  const ir::Slot& s = m.slot(target);
  switch (k % 4) {
    case 0: cur[target] ^= 1ULL << (rng() % s.width); break;
    case 1:
      if (!s.fields.empty()) {
        const ir::BitField& f = s.fields[rng() % s.fields.size()];
        cur[target] ^= ir::range_mask(f.hi, f.lo) & (rng() | 1ULL << f.lo);
      }
      break;
    case 2: cur[target] = gen.value_for(target); break;
    default: {  // a write and whatever else changed with it (other slots, other fields)
      cur[target] = gen.value_for(target);
      ir::SlotId other = rng() % m.slots.size();
      if (ir::is_state(m.slot(other).kind)) cur[other] = gen.value_for(other);
    }
  }
  return cur;
}

// A pair (old, new) that breaks `t`, from Z3: random writes seldom meet
// the three or four conditions a rule needs at once.
std::pair<std::vector<uint64_t>, std::vector<uint64_t>> failing_pair(const ir::Model& m, const ir::Transition& t) {
  z3::context ctx;
  smt::Encoder enc(ctx, m);
  smt::Valuation old = enc.state_vars("o"), cur = enc.state_vars("s");
  z3::solver sv(ctx);
  sv.add(enc.config_axioms());
  if (t.when) sv.add(enc.pred(*t.when, cur, &old));
  sv.add(!enc.pred(*t.assertion, cur, &old));
  REQUIRE(sv.check() == z3::sat);
  z3::model mod = sv.get_model();
  std::vector<uint64_t> o(m.slots.size()), c(m.slots.size());
  for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
    o[id] = smt::Encoder::value_of(mod.eval(old[id], true));
    c[id] = smt::Encoder::value_of(mod.eval(cur[id], true));
  }
  return {o, c};
}

}  // namespace

TEST_CASE("transitions: generated checker, Z3 and the IR evaluator agree on 20,000 writes", "[differential]") {
  const ir::Model& m = *test::builtin_spec().model;
  REQUIRE(m.transitions.size() == generated::kNumTransitions);
  for (size_t i = 0; i < m.transitions.size(); ++i) REQUIRE(m.transitions[i].id == generated::kTransitions[i].id);

  test::StateGen gen(m, 0x5eed7a11);
  smt::GroundEvaluator z3eval(m);
  std::vector<std::vector<uint64_t>> starts = gen.boundary();
  for (unsigned k = 0; starts.size() < 4000; ++k) starts.push_back(gen.random(k));

  // Near each rule's boundary: a failing pair and its one-bit neighbours.
  std::vector<std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> near;
  for (const ir::Transition& t : m.transitions) {
    auto [o, c] = failing_pair(m, t);
    near.emplace_back(o, c);
    for (int k = 0; k < 300; ++k) {
      auto o2 = o, c2 = c;
      ir::SlotId id = gen.rng()() % m.slots.size();
      auto& side = (k % 2 || !ir::is_state(m.slot(id).kind)) ? c2 : o2;
      side[id] ^= 1ULL << (gen.rng()() % m.slot(id).width);
      near.emplace_back(o2, c2);
    }
  }

  size_t pairs = 0, disagreements = 0;
  std::vector<size_t> fails(m.transitions.size()), passes(m.transitions.size());
  std::string first;
  for (size_t n = 0; pairs < 20000; ++n) {
    const std::vector<uint64_t>& old = starts[n % starts.size()];
    const ir::Transition& pick = m.transitions[n % m.transitions.size()];
    std::vector<uint64_t> cur = write_of(m, pick, old, gen, static_cast<unsigned>(n / m.transitions.size()));
    // A third of the pairs start from RESET-like states, where most rules apply.
    std::vector<uint64_t> o2 = n % 3 == 0 ? gen.reset_like() : old;
    if (n % 3 == 0) cur = write_of(m, pick, o2, gen, static_cast<unsigned>(n));
    if (n < near.size()) std::tie(o2, cur) = near[n];
    ++pairs;
    rt::State s_old = to_state(o2), s_cur = to_state(cur);
    std::vector<bool> z = z3eval.transitions(cur, o2);
    for (size_t i = 0; i < m.transitions.size(); ++i) {
      const ir::Transition& t = m.transitions[i];
      rt::Verdict g = generated::kTransitions[i].eval(s_cur, s_old);
      bool ir_when = !t.when || ir::evaluate(*t.when, cur, &o2);
      bool ir_holds = !ir_when || ir::evaluate(*t.assertion, cur, &o2);
      bool gen_holds = g == rt::Verdict::Pass || g == rt::Verdict::NotApplicable;
      if (g == rt::Verdict::Unknown || gen_holds != z[i] || ir_holds != z[i]) {
        if (disagreements++ < 5)
          first += t.id + ": generated " + rt::verdict_name(g) + ", Z3 " + (z[i] ? "holds" : "fails") + ", IR " +
                   (ir_holds ? "holds" : "fails") + "\n";
      }
      (z[i] ? passes : fails)[i]++;
    }
  }
  INFO(first);
  CHECK(disagreements == 0);
  for (size_t i = 0; i < m.transitions.size(); ++i) {
    INFO(m.transitions[i].id);
    CHECK(fails[i] > 0);
    CHECK(passes[i] > 0);
  }
  WARN("transitions differential: " << pairs << " writes (" << near.size() << " near a rule's boundary), " << m.transitions.size() << " transitions, "
                                    << disagreements << " disagreements");
}

// The Z3 lowering of flows (SSA terms, property negations) and the concrete
// interpreter (ir/flow_exec) must agree on every run: the final state of
// every flow and the verdict of every property, for boundary and random
// inputs (start state, hypervisor variables, configuration, flow formals).
#include <catch2/catch.hpp>

#include "differential/state_gen.hpp"
#include "ir/flow_exec.hpp"
#include "support/helpers.hpp"
#include "z3/flow_prove.hpp"

using namespace vcpuspec;

namespace {

struct Tally {
  size_t runs = 0, violations = 0, holds = 0, disagreements = 0;
};

void differential(const ir::Model& m, uint64_t seed, size_t per_flow, Tally& tally) {
  for (const auto& fp : m.flows) {
    const ir::Flow& f = *fp;
    test::StateGen gen(m, seed);
    smt::FlowGroundEvaluator z3eval(m, f);
    std::vector<std::vector<uint64_t>> inputs;
    for (auto& b : gen.boundary()) {
      if (inputs.size() >= per_flow / 4) break;
      inputs.push_back(std::move(b));
    }
    // Runs the flow can really have (legal start, assumptions met), and
    // one-bit mutations of them: most random inputs fail an assumption.
    std::vector<std::vector<uint64_t>> feasible = z3eval.sample_feasible(static_cast<unsigned>(per_flow / 8),
                                                                         static_cast<unsigned>(seed));
    for (const auto& f : feasible) inputs.push_back(f);
    for (size_t k = 0; !feasible.empty() && k < per_flow / 4; ++k) {
      std::vector<uint64_t> v = feasible[k % feasible.size()];
      ir::SlotId id = static_cast<ir::SlotId>(gen.rng()() % m.slots.size());
      v[id] ^= (1ULL << (gen.rng()() % m.slot(id).width));
      inputs.push_back(std::move(v));
    }
    for (unsigned k = 0; inputs.size() < per_flow; ++k)
      inputs.push_back(k % 2 ? gen.random(k) : gen.reset_like());
    for (const std::vector<uint64_t>& in : inputs) {
      ir::FlowTrace tr = ir::run_flow(m, f, in);
      smt::FlowGroundEval z = z3eval.eval(in);
      ++tally.runs;
      for (ir::SlotId id = 0; id < m.slots.size(); ++id) {
        if (z.final_state[id] == tr.final_state()[id]) continue;
        if (tally.disagreements++ < 5)
          FAIL_CHECK(f.name << ": final " << m.slot(id).name << " Z3 " << z.final_state[id] << " interpreter "
                            << tr.final_state()[id]);
      }
      for (size_t i = 0; i < m.properties.size(); ++i) {
        const ir::Property& p = *m.properties[i];
        bool bad = false;
        if (ir::property_applies(p, f)) {
          ir::Verdict v = ir::evaluate_property(m, f, p, tr);
          bad = v.applies && !v.holds;
          (bad ? tally.violations : tally.holds)++;
        }
        if (bad == z.violated[i]) continue;
        if (tally.disagreements++ < 5)
          FAIL_CHECK(f.name << " / " << p.id << ": Z3 says " << (z.violated[i] ? "violated" : "holds")
                            << ", the interpreter says " << (bad ? "violated" : "holds"));
      }
    }
  }
}

}  // namespace

TEST_CASE("flows: Z3 lowering and interpreter agree (toy spec)", "[differential][flows]") {
  auto spec = front::load_spec_paths({test::source_dir() + "/spec/arch",
                                      test::source_dir() + "/tests/data/specs/flows/toy.vspec"});
  REQUIRE(spec->model);
  Tally t;
  differential(*spec->model, 11, 500, t);
  INFO("runs " << t.runs << ", property violations " << t.violations << ", holds " << t.holds);
  CHECK(t.disagreements == 0);
  CHECK(t.violations > 0);
  CHECK(t.holds > 0);
}

TEST_CASE("flows: Z3 lowering and interpreter agree (built-in spec)", "[differential][flows]") {
  const ir::Model& m = *test::builtin_spec().model;
  if (m.flows.empty()) SUCCEED("the built-in spec has no flows");
  Tally t;
  differential(m, 12, 150, t);
  INFO("runs " << t.runs << ", property violations " << t.violations << ", holds " << t.holds);
  CHECK(t.disagreements == 0);
  CHECK(t.violations > 0);  // the 5.10 flows' hazards show up among the runs
  WARN("flows differential: " << t.runs << " runs, " << t.violations << " property violations, " << t.holds
                              << " holds, " << t.disagreements << " disagreements");
}

// The generated checker in memory: all applicable checks per state, against
// Z3 evaluating the same checks on the same states (GroundEvaluator, the
// lowering the differential tests use), against a hand-written C++ baseline
// for ten architectural checks, and as the number of checks grows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "builtin/builtin_spec.hpp"
#include "checker.gen.hpp"
#include "corpus.hpp"
#include "engine/run_checks.hpp"
#include "z3/ground_eval.hpp"

namespace vcpuspec::bench {
namespace {

// Every check whose scope applies to the state's flavor: what `check` runs.
// Which checks apply is decided once per flavor, as a batch run would.
void BM_Generated_ApplicableChecks(benchmark::State& st) {
  const auto& c = corpus();
  std::vector<std::vector<const rt::CheckInfo*>> applicable;
  size_t total = 0;
  for (const readers::StateInput& in : c.states) {
    std::vector<const rt::CheckInfo*> list;
    for (size_t k = 0; k < generated::kNumChecks; ++k)
      if (engine::scope_applies(generated::kChecks[k].scope, in.flavor)) list.push_back(&generated::kChecks[k]);
    total += list.size();
    applicable.push_back(std::move(list));
  }
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const size_t n = i++ % c.states.size();
    const rt::State& s = c.states[n].state;
    for (const rt::CheckInfo* chk : applicable[n]) fails += chk->eval(s) == rt::Verdict::Fail;
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["checks_per_state"] = static_cast<double>(total) / static_cast<double>(c.states.size());
}
BENCHMARK(BM_Generated_ApplicableChecks);

// Every check of the spec on every state: the same work Z3 does below.
void BM_Generated_AllChecks(benchmark::State& st) {
  const auto& c = corpus();
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const readers::StateInput& in = c.states[i++ % c.states.size()];
    for (size_t k = 0; k < generated::kNumChecks; ++k) fails += generated::kChecks[k].eval(in.state) == rt::Verdict::Fail;
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Generated_AllChecks);

void BM_Z3_AllChecks(benchmark::State& st) {
  const auto& c = corpus();
  smt::GroundEvaluator z3eval(*builtin::spec().model);
  size_t i = 0, holds = 0;
  for (auto _ : st) {
    std::vector<bool> h = z3eval.checks(c.values[i++ % c.values.size()]);
    holds += static_cast<size_t>(std::count(h.begin(), h.end(), true));
  }
  benchmark::DoNotOptimize(holds);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Z3_AllChecks)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// The first N checks of the spec (the catalogue's order): how time grows with N.
void BM_Generated_FirstNChecks(benchmark::State& st) {
  const auto& c = corpus();
  const size_t n = std::min<size_t>(static_cast<size_t>(st.range(0)), generated::kNumChecks);
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const readers::StateInput& in = c.states[i++ % c.states.size()];
    for (size_t k = 0; k < n; ++k) fails += generated::kChecks[k].eval(in.state) == rt::Verdict::Fail;
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["checks"] = static_cast<double>(n);
}
BENCHMARK(BM_Generated_FirstNChecks)->Arg(8)->Arg(32)->Arg(128)->Arg(static_cast<int64_t>(generated::kNumChecks));

// ---- ten architectural checks, hand-written -------------------------------------
// The same predicates as spec/arch (the SDM bits named there), written as a
// person would: straight loads and masks, no three-valued logic. The setup
// asserts they agree with the generated checks on every corpus state.

const char* const kArch10[] = {"ARCH.CR0.HI",     "ARCH.CR0.NW_NEEDS_CD", "ARCH.CR0.PG_NEEDS_PE", "ARCH.CR0.RSVD",
                               "ARCH.CR4.PAE_IN_LM", "ARCH.LM.CONSISTENT", "ARCH.CR8.RSVD",       "ARCH.DR6.HI",
                               "ARCH.DR7.HI",     "ARCH.RFLAGS.FIXED"};

struct ArchSlots {
  size_t cr0, cr4, cr8, efer, dr6, dr7, rflags;
};

ArchSlots arch_slots() {
  auto id = [](const char* n) { return static_cast<size_t>(readers::find_slot(slots(), n)); };
  return {id("CR0"), id("CR4"), id("CR8"), id("EFER"), id("DR6"), id("DR7"), id("RFLAGS")};
}

// Bit k of the result: check kArch10[k] fails.
unsigned hand_written(const rt::State& s, const ArchSlots& a) {
  const uint64_t cr0 = s.get(a.cr0), cr4 = s.get(a.cr4), efer = s.get(a.efer);
  const bool pg = cr0 >> 31 & 1, cd = cr0 >> 30 & 1, nw = cr0 >> 29 & 1, pe = cr0 & 1;
  const bool lme = efer >> 8 & 1, lma = efer >> 10 & 1;
  unsigned f = 0;
  f |= (cr0 >> 32 != 0) << 0;
  f |= (nw && !cd) << 1;
  f |= (pg && !pe) << 2;
  f |= ((cr0 & 0x1ffaffc0ULL) != 0) << 3;  // bits 28:19, 17, 15:6
  f |= (lma && !(cr4 >> 5 & 1)) << 4;
  f |= (lma != (lme && pg)) << 5;
  f |= (s.get(a.cr8) >> 4 != 0) << 6;
  f |= (s.get(a.dr6) >> 32 != 0) << 7;
  f |= (s.get(a.dr7) >> 32 != 0) << 8;
  f |= !(s.get(a.rflags) >> 1 & 1) << 9;
  return f;
}

std::vector<const rt::CheckInfo*> arch10() {
  std::vector<const rt::CheckInfo*> out;
  for (const char* id : kArch10)
    for (size_t k = 0; k < generated::kNumChecks; ++k)
      if (std::string(generated::kChecks[k].id) == id) out.push_back(&generated::kChecks[k]);
  if (out.size() != std::size(kArch10)) throw std::runtime_error("bench: an ARCH check was renamed");
  return out;
}

// The baseline only counts if it computes the same verdicts.
void require_agreement(const std::vector<const rt::CheckInfo*>& gen, const ArchSlots& a) {
  for (const readers::StateInput& in : corpus().states) {
    unsigned g = 0;
    for (size_t k = 0; k < gen.size(); ++k) g |= (gen[k]->eval(in.state) == rt::Verdict::Fail) << k;
    if (g != hand_written(in.state, a)) throw std::runtime_error("bench: hand-written ARCH checks disagree with the generated ones");
  }
}

void BM_HandWritten_Arch10(benchmark::State& st) {
  const auto& c = corpus();
  const ArchSlots a = arch_slots();
  require_agreement(arch10(), a);
  size_t i = 0, fails = 0;
  for (auto _ : st) fails += hand_written(c.states[i++ % c.states.size()].state, a) != 0;
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_HandWritten_Arch10);

void BM_Generated_Arch10(benchmark::State& st) {
  const auto& c = corpus();
  const auto gen = arch10();
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const rt::State& s = c.states[i++ % c.states.size()].state;
    for (const rt::CheckInfo* chk : gen) fails += chk->eval(s) == rt::Verdict::Fail;
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Generated_Arch10);

}  // namespace
}  // namespace vcpuspec::bench

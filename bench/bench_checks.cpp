// The generated checker in memory: all applicable checks per state, against
// Z3 evaluating the same checks on the same states (GroundEvaluator, the
// lowering the differential tests use), against a hand-written C++ baseline
// for the architectural invariants, and as the number of checks grows.
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

// The groups whose scope applies to a flavor: what `check` runs, decided once
// per flavor as a batch run would.
std::vector<const rt::CheckGroup*> groups_for(std::string_view flavor) {
  std::vector<const rt::CheckGroup*> out;
  for (size_t g = 0; g < generated::kNumCheckGroups; ++g)
    if (engine::scope_applies(generated::kCheckGroups[g].scope, flavor)) out.push_back(&generated::kCheckGroups[g]);
  return out;
}

// Every check whose scope applies to the state's flavor, a group at a time.
void BM_Generated_ApplicableChecks(benchmark::State& st) {
  const auto& c = corpus();
  std::vector<std::vector<const rt::CheckGroup*>> applicable;
  size_t total = 0;
  for (const readers::StateInput& in : c.states) {
    applicable.push_back(groups_for(in.flavor));
    for (const rt::CheckGroup* g : applicable.back()) total += g->num_checks;
  }
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const size_t n = cycle(i, c.states.size());
    const rt::State& s = c.states[n].state;
    for (const rt::CheckGroup* g : applicable[n]) fails += (g->eval(s).fail != 0);
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["checks_per_state"] = static_cast<double>(total) / static_cast<double>(c.states.size());
}
BENCHMARK(BM_Generated_ApplicableChecks);

// The same checks one at a time (each CheckInfo::eval, as --only and the
// blame re-run use them): what the groups save.
void BM_Generated_ApplicableChecksOneByOne(benchmark::State& st) {
  const auto& c = corpus();
  std::vector<std::vector<const rt::CheckInfo*>> applicable;
  for (const readers::StateInput& in : c.states) {
    std::vector<const rt::CheckInfo*> list;
    for (size_t k = 0; k < generated::kNumChecks; ++k)
      if (engine::scope_applies(generated::kChecks[k].scope, in.flavor)) list.push_back(&generated::kChecks[k]);
    applicable.push_back(std::move(list));
  }
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const size_t n = cycle(i, c.states.size());
    const rt::State& s = c.states[n].state;
    for (const rt::CheckInfo* chk : applicable[n]) fails += chk->eval(s) == rt::Verdict::Fail;
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Generated_ApplicableChecksOneByOne);

// Every check of the spec on every state: the same work Z3 does below.
void BM_Generated_AllChecks(benchmark::State& st) {
  const auto& c = corpus();
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const rt::State& s = c.states[cycle(i, c.states.size())].state;
    for (size_t g = 0; g < generated::kNumCheckGroups; ++g)
      fails += (generated::kCheckGroups[g].eval(s).fail != 0);
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
    std::vector<bool> h = z3eval.checks(c.values[cycle(i, c.values.size())]);
    holds += static_cast<size_t>(std::count(h.begin(), h.end(), true));
  }
  benchmark::DoNotOptimize(holds);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Z3_AllChecks)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// The first N groups of the spec (the catalogue's order): how time grows with
// the number of checks (the counter `checks`).
void BM_Generated_FirstNGroups(benchmark::State& st) {
  const auto& c = corpus();
  const size_t n = std::min<size_t>(static_cast<size_t>(st.range(0)), generated::kNumCheckGroups);
  size_t checks = 0;
  for (size_t g = 0; g < n; ++g) checks += generated::kCheckGroups[g].num_checks;
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    const rt::State& s = c.states[cycle(i, c.states.size())].state;
    for (size_t g = 0; g < n; ++g) fails += (generated::kCheckGroups[g].eval(s).fail != 0);
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["checks"] = static_cast<double>(checks);
}
BENCHMARK(BM_Generated_FirstNGroups)->DenseRange(1, static_cast<int64_t>(generated::kNumCheckGroups));

// ---- the architectural invariants, hand-written -------------------------------
// Every check of spec/arch/invariants.vspec (the SDM bits named there),
// written as a person would: straight loads and masks, no three-valued
// logic. The setup asserts they agree with the generated group, check by
// check, on every corpus state.

struct ArchSlots {
  size_t cr0, cr3, cr4, cr8, efer, cs_ar, apic, dr6, dr7, rflags, pat, xcr0;
  size_t fs, gs, kgs, lstar, cstar, u_cet, s_cet, ssp[4], isst, pdpte[4];
  size_t vmx, smx, xsave, pcid, fsgsbase, smep, smap, umip, pku, la57, keylocker, cet, pks, uintr, lass, lam, fred;
  size_t lm, nx, svm, lmsle, fxsr_opt, tce, autoibrs, x2apic, shstk, ibt, maxphyaddr, xcr0_supported;
};

ArchSlots arch_slots() {
  auto id = [](const char* n) {
    long i = readers::find_slot(slots(), n);
    if (i < 0) throw std::runtime_error(std::string("bench: no slot ") + n);
    return static_cast<size_t>(i);
  };
  ArchSlots a{};
  a.cr0 = id("CR0"), a.cr3 = id("CR3"), a.cr4 = id("CR4"), a.cr8 = id("CR8"), a.efer = id("EFER"), a.cs_ar = id("CS.ar");
  a.apic = id("APIC_BASE"), a.dr6 = id("DR6"), a.dr7 = id("DR7"), a.rflags = id("RFLAGS"), a.pat = id("PAT");
  a.xcr0 = id("XCR0"), a.fs = id("FS.base"), a.gs = id("GS.base"), a.kgs = id("KERNEL_GS_BASE"), a.lstar = id("LSTAR");
  a.cstar = id("CSTAR"), a.u_cet = id("U_CET"), a.s_cet = id("S_CET"), a.isst = id("INTERRUPT_SSP_TABLE_ADDR");
  const char* ssp[] = {"PL0_SSP", "PL1_SSP", "PL2_SSP", "PL3_SSP"};
  const char* pdpte[] = {"PDPTE0", "PDPTE1", "PDPTE2", "PDPTE3"};
  for (int k = 0; k < 4; ++k) a.ssp[k] = id(ssp[k]), a.pdpte[k] = id(pdpte[k]);
  a.vmx = id("cpu.vmx"), a.smx = id("cpu.smx"), a.xsave = id("cpu.xsave"), a.pcid = id("cpu.pcid");
  a.fsgsbase = id("cpu.fsgsbase"), a.smep = id("cpu.smep"), a.smap = id("cpu.smap"), a.umip = id("cpu.umip");
  a.pku = id("cpu.pku"), a.la57 = id("cpu.la57"), a.keylocker = id("cpu.keylocker"), a.cet = id("cpu.cet");
  a.pks = id("cpu.pks"), a.uintr = id("cpu.uintr"), a.lass = id("cpu.lass"), a.lam = id("cpu.lam"), a.fred = id("cpu.fred");
  a.lm = id("cpu.lm"), a.nx = id("cpu.nx"), a.svm = id("cpu.svm"), a.lmsle = id("cpu.lmsle"), a.fxsr_opt = id("cpu.fxsr_opt");
  a.tce = id("cpu.tce"), a.autoibrs = id("cpu.autoibrs"), a.x2apic = id("cpu.x2apic"), a.shstk = id("cpu.shstk");
  a.ibt = id("cpu.ibt"), a.maxphyaddr = id("cpu.maxphyaddr"), a.xcr0_supported = id("cpu.xcr0_supported");
  return a;
}

inline bool bit(uint64_t x, unsigned b) { return (x >> b) & 1; }
inline bool canonical(uint64_t x, bool la57) {
  const unsigned top = la57 ? 56 : 47;
  return static_cast<uint64_t>(static_cast<int64_t>(x << (63 - top)) >> (63 - top)) == x;
}
inline bool phys_ok(uint64_t x, uint64_t maxpa) { return maxpa >= 64 || (x >> maxpa) == 0; }
inline bool cet_ok(uint64_t x, bool shstk, bool ibt) {
  return (x >> 6 & 0xf) == 0 && (shstk || (x & 3) == 0) && (ibt || ((x >> 2 & 0xf) == 0 && (x >> 10) == 0)) &&
         (x >> 12 & 3) == 0 && !(bit(x, 10) && bit(x, 11));
}
inline bool pdpte_ok(uint64_t x, uint64_t maxpa) {
  return !bit(x, 0) || ((x >> 1 & 3) == 0 && (x >> 5 & 0xf) == 0 && phys_ok(x, maxpa));
}

// Bit k of the result: check k of spec/arch/invariants.vspec fails.
uint64_t hand_written(const rt::State& s, const ArchSlots& a) {
  auto f = [&](size_t slot) { return s.get(slot) != 0; };
  const uint64_t cr0 = s.get(a.cr0), cr3 = s.get(a.cr3), cr4 = s.get(a.cr4), efer = s.get(a.efer);
  const uint64_t apic = s.get(a.apic), rflags = s.get(a.rflags), xcr0 = s.get(a.xcr0), pat = s.get(a.pat);
  const uint64_t maxpa = s.get(a.maxphyaddr);
  const bool pe = bit(cr0, 0), wp = bit(cr0, 16), nw = bit(cr0, 29), cd = bit(cr0, 30), pg = bit(cr0, 31);
  const bool pae = bit(cr4, 5), pcide = bit(cr4, 17), cet = bit(cr4, 23);
  const bool lme = bit(efer, 8), lma = bit(efer, 10), la57 = f(a.la57), shstk = f(a.shstk), ibt = f(a.ibt);
  const bool extd = bit(apic, 10);
  uint64_t r = 0;
  auto fail = [&](unsigned k, bool failed) { r |= static_cast<uint64_t>(failed) << k; };
  fail(0, cr0 >> 32 != 0);
  fail(1, nw && !cd);
  fail(2, pg && !pe);
  fail(3, !bit(cr0, 4));
  fail(4, (cr0 & 0x1ffaffc0ULL) != 0);  // 28:19, 17, 15:6
  fail(5, cet && !wp);
  fail(6, (cr4 & 0xfffffffee4008000ULL) != 0);  // 63:33, 31:29, 26, 15
  fail(7, (bit(cr4, 13) && !f(a.vmx)) || (bit(cr4, 14) && !f(a.smx)) || (bit(cr4, 18) && !f(a.xsave)) ||
              (pcide && !f(a.pcid)) || (bit(cr4, 16) && !f(a.fsgsbase)) || (bit(cr4, 20) && !f(a.smep)) ||
              (bit(cr4, 21) && !f(a.smap)) || (bit(cr4, 11) && !f(a.umip)) || (bit(cr4, 22) && !f(a.pku)) ||
              (bit(cr4, 12) && !la57) || (bit(cr4, 19) && !f(a.keylocker)) || (cet && !f(a.cet)) ||
              (bit(cr4, 24) && !f(a.pks)) || (bit(cr4, 25) && !f(a.uintr)) || (bit(cr4, 27) && !f(a.lass)) ||
              (bit(cr4, 28) && !f(a.lam)) || (bit(cr4, 32) && !f(a.fred)));
  fail(8, cet && !wp);
  fail(9, lma && !pae);
  fail(10, pg && pae && !lma &&
               !(pdpte_ok(s.get(a.pdpte[0]), maxpa) && pdpte_ok(s.get(a.pdpte[1]), maxpa) &&
                 pdpte_ok(s.get(a.pdpte[2]), maxpa) && pdpte_ok(s.get(a.pdpte[3]), maxpa)));
  fail(11, !phys_ok(cr3 & ~(f(a.lam) ? 0x6000000000000000ULL : 0), maxpa));
  fail(12, s.get(a.cr8) >> 4 != 0);
  fail(13, (efer & 0xffffffffffdf02feULL) != 0);  // 63:22, 20:16, 9, 7:1
  fail(14, (lme && !f(a.lm)) || (lma && !f(a.lm)) || (bit(efer, 11) && !f(a.nx)) || (bit(efer, 12) && !f(a.svm)) ||
               (bit(efer, 13) && !f(a.lmsle)) || (bit(efer, 14) && !f(a.fxsr_opt)) || (bit(efer, 15) && !f(a.tce)) ||
               (bit(efer, 21) && !f(a.autoibrs)));
  fail(15, lma != (lme && pg));
  fail(16, !lma && bit(s.get(a.cs_ar), 13));
  fail(17, pcide && !lma);
  fail(18, bit(apic, 9) || (apic & 0xff) != 0 || !phys_ok(apic, maxpa) || (extd && !f(a.x2apic)));
  fail(19, extd && !bit(apic, 11));
  fail(20, s.get(a.dr6) >> 32 != 0);
  fail(21, s.get(a.dr7) >> 32 != 0);
  fail(22, !bit(rflags, 1));
  fail(23, bit(rflags, 17) && !(pe && !lma));
  fail(24, !(canonical(s.get(a.fs), la57) && canonical(s.get(a.gs), la57) && canonical(s.get(a.kgs), la57) &&
             canonical(s.get(a.lstar), la57) && canonical(s.get(a.cstar), la57)));
  bool ssp_ok = true;
  for (size_t k : a.ssp) ssp_ok = ssp_ok && canonical(s.get(k), la57) && (s.get(k) & 3) == 0;
  fail(25, (shstk || ibt) && !(cet_ok(s.get(a.u_cet), shstk, ibt) && cet_ok(s.get(a.s_cet), shstk, ibt) &&
                               (!shstk || (ssp_ok && canonical(s.get(a.isst), la57)))));
  bool types_ok = true;
  for (unsigned k = 0; k < 8; ++k) {
    const uint64_t t = pat >> (8 * k) & 7;
    types_ok = types_ok && t != 2 && t != 3;
  }
  fail(26, (pat & 0xF8F8F8F8F8F8F8F8ULL) != 0 || !types_ok);
  fail(27, !bit(xcr0, 0));
  fail(28, bit(xcr0, 2) && !bit(xcr0, 1));
  fail(29, bit(xcr0, 3) != bit(xcr0, 4));
  const uint64_t avx512 = xcr0 >> 5 & 7;
  fail(30, !((avx512 == 0 || avx512 == 7) && (avx512 == 0 || bit(xcr0, 2))));
  fail(31, bit(xcr0, 17) != bit(xcr0, 18));
  fail(32, (xcr0 >> 10 & 0x7f) != 0 || bit(xcr0, 8));
  fail(33, (xcr0 & ~(s.get(a.xcr0_supported) | 1)) != 0);
  return r;
}

const rt::CheckGroup& arch_invariants() {
  for (size_t g = 0; g < generated::kNumCheckGroups; ++g)
    if (std::string_view(generated::kChecks[generated::kCheckGroups[g].checks[0]].id) == "ARCH.CR0.HI")
      return generated::kCheckGroups[g];
  throw std::runtime_error("bench: no group holds ARCH.CR0.HI");
}

// The baseline only counts if it computes the same verdicts, check by check.
void require_agreement(const rt::CheckGroup& g, const ArchSlots& a) {
  if (g.num_checks != 34) throw std::runtime_error("bench: spec/arch/invariants.vspec changed; update the hand-written checks");
  for (const readers::StateInput& in : corpus().states) {
    const uint64_t gen = g.eval(in.state).fail, hand = hand_written(in.state, a);
    if (gen != hand)
      throw std::runtime_error(std::string("bench: hand-written ARCH checks disagree with the generated ones on ") +
                               generated::kChecks[g.checks[__builtin_ctzll(gen ^ hand)]].id);
  }
}

void BM_HandWritten_ArchInvariants(benchmark::State& st) {
  const auto& c = corpus();
  const ArchSlots a = arch_slots();
  require_agreement(arch_invariants(), a);
  size_t i = 0, fails = 0;
  for (auto _ : st) fails += (hand_written(c.states[cycle(i, c.states.size())].state, a) != 0);
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_HandWritten_ArchInvariants);

void BM_Generated_ArchInvariants(benchmark::State& st) {
  const auto& c = corpus();
  const rt::CheckGroup& g = arch_invariants();
  size_t i = 0, fails = 0;
  for (auto _ : st) fails += (g.eval(c.states[cycle(i, c.states.size())].state).fail != 0);
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["checks"] = g.num_checks;
}
BENCHMARK(BM_Generated_ArchInvariants);

}  // namespace
}  // namespace vcpuspec::bench

// Proving: every hazard query of the built-in spec on its own (the per-query
// times), and one query on synthetic flows of 10, 100 and 1000 steps (how
// prove time grows with flow length). Registered at start-up, from the spec.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "builtin/builtin_spec.hpp"
#include "corpus.hpp"
#include "ir/flow.hpp"
#include "z3/flow_prove.hpp"
#include "z3/prove.hpp"

namespace vcpuspec::bench {
namespace {

// A flow of `steps` statements that thread a value through two registers and
// a hypervisor variable, and a property about its end: every step is one more
// SSA term and one more assignment for Z3 to see through.
std::string synthetic_flow(int steps, bool holds) {
  std::string n = std::to_string(steps);
  std::string s = "var bench.acc" + n + " : 64 = 0 \"synthetic accumulator\";\n";
  s += "flow bench.len" + n + "(init : bool) \"synthetic flow of " + n + " steps\" cite \"bench\" scope vmx kernel \"bench\" {\n";
  for (int i = 0; i < steps; ++i) {
    switch (i % 3) {
      case 0: s += "  bench.acc" + n + " := bench.acc" + n + " + RAX;\n"; break;
      case 1: s += "  RAX := RAX ^ bench.acc" + n + ";\n"; break;
      default: s += "  if init { RBX := RBX + 1; } else { RBX := RBX - 1; }\n"; break;
    }
  }
  s += "}\n";
  // Each RBX step adds or subtracts one: bit 0 flips once per such step. True
  // on every path, so Z3 proves it (no counterexample to minimise).
  // With `holds` false the parity is wrong: every run fails, and the time
  // includes finding and minimising a counterexample.
  int flips = steps / 3 + (holds ? 0 : 1);
  s += "property BENCH.LEN" + n + " \"after the synthetic flow of " + n +
       " steps RBX bit 0 has flipped once per RBX step\" cite \"bench\" scope vmx\n"
       "  finally RBX[0] == (start.RBX[0] ^ " + std::to_string(flips % 2) + ");\n";
  return s;
}

struct Synthetic {
  std::unique_ptr<front::LoadedSpec> spec;
  std::string flow, property;
};

const Synthetic& synthetic(int steps, bool holds) {
  static std::map<std::pair<int, bool>, Synthetic> cache;
  auto it = cache.find({steps, holds});
  if (it != cache.end()) return it->second;
  std::vector<SourceFile> files = builtin::spec_files();
  files.push_back(SourceFile{"synthetic/bench.vspec", synthetic_flow(steps, holds)});
  Synthetic s{front::load_spec_sources(files), "bench.len" + std::to_string(steps), "BENCH.LEN" + std::to_string(steps)};
  if (!s.spec->model) throw std::runtime_error("the synthetic flow spec does not load");
  return cache.emplace(std::make_pair(steps, holds), std::move(s)).first->second;
}

void prove_synthetic(benchmark::State& st, bool holds) {
  const Synthetic& s = synthetic(static_cast<int>(st.range(0)), holds);
  smt::FlowProveOptions o;
  o.flows = {s.flow};
  o.properties = {s.property};
  const smt::Outcome want = holds ? smt::Outcome::Proved : smt::Outcome::Failed;
  for (auto _ : st) {
    auto obs = smt::prove_flows(*s.spec->model, o);
    if (obs.size() != 1 || obs[0].outcome != want) st.SkipWithError("the synthetic query did not decide as built");
    benchmark::DoNotOptimize(obs);
  }
  st.counters["steps"] = static_cast<double>(st.range(0));
}

void BM_Prove_FlowLength(benchmark::State& st) { prove_synthetic(st, true); }
BENCHMARK(BM_Prove_FlowLength)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(1);

// The same flows with the property false: a counterexample found, minimised
// and replayed through the interpreter.
void BM_Prove_FlowLengthFailing(benchmark::State& st) { prove_synthetic(st, false); }
BENCHMARK(BM_Prove_FlowLengthFailing)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(1);

// The state obligations (RESET, INIT(prev), idempotence) as one query set.
void BM_Prove_States(benchmark::State& st) {
  const ir::Model& m = *builtin::spec().model;
  for (auto _ : st) benchmark::DoNotOptimize(smt::prove_states(m, {}));
}
BENCHMARK(BM_Prove_States)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

// One benchmark per (flow, property) the full `prove` runs: BM_Prove_Query/<flow>/<property>.
void register_prove_queries() {
  const ir::Model& m = *builtin::spec().model;
  for (const auto& f : m.flows)
    for (const auto& p : m.properties) {
      if (!ir::property_applies(*p, *f)) continue;
      std::string flow = f->name, prop = p->id;
      benchmark::RegisterBenchmark(("BM_Prove_Query/" + flow + "/" + prop).c_str(),
                                   [&m, flow, prop](benchmark::State& st) {
                                     smt::FlowProveOptions o;
                                     o.flows = {flow};
                                     o.properties = {prop};
                                     for (auto _ : st) benchmark::DoNotOptimize(smt::prove_flows(m, o));
                                   })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(2);
    }
}

}  // namespace vcpuspec::bench

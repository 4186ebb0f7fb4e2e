// The benchmarks: the fixed ones register themselves; the per-query prove
// benchmarks come from the spec and are registered here, before the run.
#include <benchmark/benchmark.h>

namespace vcpuspec::bench {
void register_prove_queries();
}

int main(int argc, char** argv) {
  vcpuspec::bench::register_prove_queries();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// The dump pipeline: read + check in one process (batch mode's inner loop),
// and one `vcpuspec check dump.txt` process from start to exit, against
// starting /bin/true (what any process costs here).
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>

#include "checker.gen.hpp"
#include "corpus.hpp"
#include "builtin/builtin_spec.hpp"
#include "engine/decide_exactly.hpp"
#include "engine/run_checks.hpp"
#include "readers/detect.hpp"

extern char** environ;

namespace vcpuspec::bench {
namespace {

size_t read_and_check(const std::string& text, const std::string& format) {
  readers::ReadOptions o;
  auto r = readers::read_any(text, "bench.txt", format, slots(), o);
  if (std::holds_alternative<readers::ReadError>(r)) return 0;
  size_t fails = 0;
  for (const readers::StateInput& in : std::get<readers::Inputs>(r))
    fails += engine::run_checks({generated::kChecks, generated::kNumChecks}, {generated::kCheckGroups, generated::kNumCheckGroups}, slots(), in).fail;
  return fails;
}

// QEMU dumps with `--format qemu`, and as `check --batch` reads them by
// default: the format detected from content first.
void qemu_dumps(benchmark::State& st, const std::string& format) {
  const auto& d = corpus().qemu_dumps;
  size_t i = 0, fails = 0, bytes = 0;
  for (auto _ : st) {
    const std::string& t = d[cycle(i, d.size())];
    bytes += t.size();
    fails += read_and_check(t, format);
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.SetBytesProcessed(static_cast<int64_t>(bytes));
}
void BM_QemuDump_ReadAndCheck(benchmark::State& st) { qemu_dumps(st, "qemu"); }
BENCHMARK(BM_QemuDump_ReadAndCheck);
void BM_QemuDump_DetectReadAndCheck(benchmark::State& st) { qemu_dumps(st, "auto"); }
BENCHMARK(BM_QemuDump_DetectReadAndCheck);

// Every format, detected from content (`--format auto`).
void BM_AnyDump_DetectReadAndCheck(benchmark::State& st) {
  const auto& d = corpus().all_dumps;
  size_t i = 0, fails = 0;
  for (auto _ : st) fails += read_and_check(d[cycle(i, d.size())], "auto");
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_AnyDump_DetectReadAndCheck);

// The same, each undecided check then decided exactly (check's default):
// sampled and listed completions, Z3 for the rest with its answers kept
// across inputs as in one `check --batch` run. Compare with
// BM_AnyDump_DetectReadAndCheck, the three-valued pass alone.
void BM_AnyDump_DetectReadCheckExact(benchmark::State& st) {
  const auto& d = corpus().all_dumps;
  smt::CompletionDecider decider(*builtin::spec().model, smt::CompletionOptions{});
  size_t i = 0, fails = 0;
  for (auto _ : st) {
    readers::ReadOptions o;
    auto r = readers::read_any(d[cycle(i, d.size())], "bench.txt", "auto", slots(), o);
    if (std::holds_alternative<readers::ReadError>(r)) continue;
    for (const readers::StateInput& in : std::get<readers::Inputs>(r)) {
      engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks},
                                                {generated::kCheckGroups, generated::kNumCheckGroups}, slots(), in);
      engine::decide_exactly(run, {generated::kChecks, generated::kNumChecks}, slots(), in, [&] { return &decider; });
      fails += run.fail;
    }
  }
  benchmark::DoNotOptimize(fails);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_AnyDump_DetectReadCheckExact);

void spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) throw std::runtime_error("bench: spawn failed");
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
}

void BM_Process_True(benchmark::State& st) {
  for (auto _ : st) spawn_and_wait({"/bin/true"});
}
BENCHMARK(BM_Process_True)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Process_CheckQemuDump(benchmark::State& st) {
  const std::string dump = source_dir() + "/tests/data/dumps/qemu_entry_failed_bigreal_truncated.txt";
  for (auto _ : st) spawn_and_wait({VCPUSPEC_BINARY, "check", dump});
}
BENCHMARK(BM_Process_CheckQemuDump)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same without the exact pass: what the Z3 context and its queries cost
// one process (this dump leaves checks only Z3 settles).
void BM_Process_CheckQemuDumpThreeValued(benchmark::State& st) {
  const std::string dump = source_dir() + "/tests/data/dumps/qemu_entry_failed_bigreal_truncated.txt";
  for (auto _ : st) spawn_and_wait({VCPUSPEC_BINARY, "check", "--three-valued", dump});
}
BENCHMARK(BM_Process_CheckQemuDumpThreeValued)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vcpuspec::bench

#!/bin/sh
# Runs the benchmarks and rewrites docs/benchmarks.md: the bench/ target
# (Google Benchmark; ratios are between benchmarks of the same run), then
# wall times of prove, lint and one check process, and the rebuild after a
# spec edit. Usage: scripts/bench.sh [--clean-build] (also time a clean build).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

if [ "${1:-}" = "--clean-build" ]; then
  t0=$(now); cmake -S . -B "$tmp/clean" -G Ninja -DVCPUSPEC_BUILD_TESTS=OFF -DVCPUSPEC_BUILD_BENCH=OFF >/dev/null
  cmake --build "$tmp/clean" -j2 >/dev/null; t1=$(now)
  echo "clean_build_s $(python3 -c "print(round($t1 - $t0, 2))")" >"$tmp/times"
else
  : >"$tmp/times"
fi
cmake --build build -j2 >/dev/null

# A spec edit (one check's text), timed from the edit to a rebuilt binary;
# the spec file is put back afterwards.
spec=spec/arch/invariants.vspec
cp "$spec" "$tmp/spec.bak"
trap 'cp "$tmp/spec.bak" "$spec"; rm -rf "$tmp"' EXIT
sed -i 's/"CR0.NW=1 requires CR0.CD=1"/"CR0.NW=1 requires CR0.CD=1 (bench edit)"/' "$spec"
t0=$(now); cmake --build build -j2 --target vcpuspec >/dev/null 2>&1; t1=$(now)
echo "regen_after_spec_edit_s $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
cp "$tmp/spec.bak" "$spec"
cmake --build build -j2 >/dev/null 2>&1

for what in "prove_all_s:prove" "lint_s:lint"; do
  name=${what%%:*}; cmd=${what#*:}
  t0=$(now); ./build/vcpuspec $cmd >/dev/null 2>&1 || true; t1=$(now)
  echo "$name $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
done

./build/bench/vcpuspec_bench --benchmark_format=json --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true >"$tmp/bench.json"
python3 scripts/bench_report.py "$tmp/bench.json" "$tmp/times" >docs/benchmarks.md
echo "bench.sh: wrote docs/benchmarks.md"

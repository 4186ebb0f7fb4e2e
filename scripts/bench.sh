#!/bin/sh
# Runs the benchmarks and rewrites docs/benchmarks.md: the bench/ target
# (Google Benchmark; ratios are between benchmarks of the same run), then
# wall times of prove, lint and one check process, the rebuild after a
# spec edit, peak RSS of a batch check over 1 GB of dumps, per-query prove
# times and prove time against flow length. Usage: scripts/bench.sh [--clean-build] (also time a clean build).
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
cmake --build build -j2 --target vcpuspec >/dev/null 2>&1
# A predicate edit in the largest file (34 checks): its two units recompile too.
sed -i 's/  assert RFLAGS\[1\] == 1;/  assert RFLAGS[1] == 1 \&\& RFLAGS[1] != 0;/' "$spec"
t0=$(now); cmake --build build -j2 --target vcpuspec >/dev/null 2>&1; t1=$(now)
echo "regen_after_predicate_edit_s $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
cp "$tmp/spec.bak" "$spec"
cmake --build build -j2 >/dev/null 2>&1

for what in "prove_all_s:prove" "lint_s:lint"; do
  name=${what%%:*}; cmd=${what#*:}
  t0=$(now); ./build/vcpuspec $cmd >/dev/null 2>&1 || true; t1=$(now)
  echo "$name $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
done

# Peak RSS of one `check --batch` over 1 GB of QEMU dumps: 100 files of 10 MiB,
# each a run of `info registers` dumps.
mkdir "$tmp/gb"
python3 -c "
d = open('tests/data/dumps/qemu_kvm_reset_smp2.txt').read().rstrip() + '\n\n'
open('$tmp/gb/f0.txt', 'w').write(d * ((10 << 20) // len(d)))"
for i in $(seq 1 99); do cp "$tmp/gb/f0.txt" "$tmp/gb/f$i.txt"; done
t0=$(now); /usr/bin/time -v ./build/vcpuspec check --batch "$tmp/gb" >"$tmp/gb.out" 2>"$tmp/gb.err" || true; t1=$(now)
echo "rss_1gb_kb $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/gb.err")" >>"$tmp/times"
echo "rss_1gb_bytes $(du -cb "$tmp/gb"/f*.txt | tail -1 | cut -f1)" >>"$tmp/times"
echo "rss_1gb_states $(grep -c '^[A-Z]* ' "$tmp/gb.out")" >>"$tmp/times"
echo "rss_1gb_s $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
# The same gigabyte as one stream on stdin (read in pieces of whole dumps).
t0=$(now); cat "$tmp"/gb/f*.txt | /usr/bin/time -v ./build/vcpuspec check --batch - >"$tmp/gbs.out" 2>"$tmp/gbs.err" || true; t1=$(now)
echo "rss_stream_kb $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/gbs.err")" >>"$tmp/times"
echo "rss_stream_states $(grep -c '^[A-Z]* ' "$tmp/gbs.out")" >>"$tmp/times"
echo "rss_stream_s $(python3 -c "print(round($t1 - $t0, 2))")" >>"$tmp/times"
rm -rf "$tmp/gb"

./build/bench/vcpuspec_bench --benchmark_format=json --benchmark_repetitions=3 --benchmark_filter=-BM_Prove \
  --benchmark_report_aggregates_only=true >"$tmp/bench.json"
# The prove benchmarks run long and deterministically: one repetition.
./build/bench/vcpuspec_bench --benchmark_format=json --benchmark_filter=BM_Prove >"$tmp/prove.json"
python3 scripts/bench_report.py "$tmp/bench.json" "$tmp/times" "$tmp/prove.json" >docs/benchmarks.md
echo "bench.sh: wrote docs/benchmarks.md"

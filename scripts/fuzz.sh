#!/bin/sh
# Runs one libFuzzer target: scripts/fuzz.sh TARGET SECONDS (the targets: tests/fuzz/)
# Builds build-fuzz/ with clang, ASan, UBSan and coverage; seeds from tests/.
# New inputs go to build-fuzz/corpus/TARGET; crashes to build-fuzz/crashes/.
set -eu
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh fuzz_spec|fuzz_state_json|fuzz_qemu|fuzz_kvm_vmcs|fuzz_kvm_vmcb|fuzz_xen_vmcs|fuzz_kvm_sregs|fuzz_dump_auto|fuzz_trace SECONDS}
seconds=${2:-60}
case "$target" in
  fuzz_spec) seeds="spec/arch spec/kvm spec/properties tests/golden/diagnostics tests/data/specs tests/data/bad/spec" ;;
  fuzz_state_json) seeds="docs/examples tests/data/bad/state" ;;
  fuzz_trace) seeds="tests/data/traces tests/data/bad/trace" ;;
  fuzz_qemu|fuzz_kvm_vmcs|fuzz_kvm_vmcb|fuzz_xen_vmcs|fuzz_kvm_sregs|fuzz_dump_auto) seeds="tests/data/dumps tests/data/bad/state" ;;
  *) echo "fuzz.sh: unknown target $target (fuzz_spec, fuzz_state_json or a dump reader: fuzz_qemu, fuzz_kvm_vmcs, fuzz_kvm_vmcb, fuzz_xen_vmcs, fuzz_kvm_sregs, fuzz_dump_auto; or fuzz_trace)" >&2; exit 2 ;;
esac

CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DVCPUSPEC_FUZZ=ON -DVCPUSPEC_BUILD_TESTS=OFF \
  -DVCPUSPEC_SANITIZE=address,undefined,fuzzer-no-link >/dev/null
cmake --build build-fuzz -j2 --target "$target"

corpus=build-fuzz/corpus/$target
mkdir -p "$corpus" build-fuzz/crashes
for d in $seeds; do
  [ -d "$d" ] && find "$d" -type f \( -name '*.vspec' -o -name '*.json' -o -name '*.jsonl' -o -name '*.txt' \) -size -64k \
    -exec cp {} "$corpus"/ \;
done
# -rss_limit_mb bounds memory; -timeout flags any input slower than 5 s.
exec "build-fuzz/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
  -max_len=65536 -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1

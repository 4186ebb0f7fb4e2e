#!/bin/sh
# The hardening pass CI runs after the README's test command: the test suite
# again under ASan+UBSan (build-asan/; without the large differential runs),
# then each libFuzzer target for a short run (build-fuzz/). Longer fuzzing: scripts/fuzz.sh TARGET SECONDS.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DVCPUSPEC_SANITIZE=address,undefined
# Only what the suite runs: the tests and the binary they drive (no benchmarks under ASan).
cmake --build build-asan -j2 --target vcpuspec_tests vcpuspec
# The large differential and witness runs repeat, on many more states, code
# paths the rest of the suite already drives; under ASan they would triple
# the pass for little. Their small forms (the operator spec, the write rules)
# stay in.
heavy='^(generated checker, Z3 and the IR evaluator agree|three-valued verdicts|generated expected states equal|the C\+\+ and Z3 paths of --expect|flows: Z3 lowering and interpreter agree \(built-in|witness pairs|commands print the same bytes|the generator is deterministic)'
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j2 --output-on-failure -E "$heavy"

seconds=${VCPUSPEC_FUZZ_SECONDS:-30}
for target in fuzz_spec fuzz_state_json fuzz_qemu fuzz_kvm_vmcs fuzz_kvm_vmcb fuzz_xen_vmcs fuzz_kvm_sregs fuzz_dump_auto fuzz_trace; do
  ./scripts/fuzz.sh "$target" "$seconds"
done

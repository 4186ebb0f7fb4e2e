#!/bin/sh
# The hardening pass CI runs after the README's test command: the whole test
# suite again under ASan+UBSan (build-asan/), then each libFuzzer target for a
# short run (build-fuzz/). Longer fuzzing: scripts/fuzz.sh TARGET SECONDS.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DVCPUSPEC_SANITIZE=address,undefined
cmake --build build-asan -j2
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j2 --output-on-failure

seconds=${VCPUSPEC_FUZZ_SECONDS:-30}
for target in fuzz_spec fuzz_state_json fuzz_qemu fuzz_kvm_vmcs fuzz_kvm_vmcb fuzz_xen_vmcs fuzz_kvm_sregs fuzz_dump_auto; do
  ./scripts/fuzz.sh "$target" "$seconds"
done

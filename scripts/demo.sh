#!/bin/sh
# The demo: installs dependencies, builds vcpuspec, proves the RESET/INIT
# invariants, lints the spec, and checks two captured states: a real KVM
# RESET state (clean) and a deliberately broken post-INIT state.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja
cmake --build build -j2

run() {
  echo
  echo "\$ vcpuspec $*"
  ./build/vcpuspec "$@"
}

run prove
run lint
run check docs/examples/kvm_reset_bsp.json --expect reset
# This one is broken on purpose: vcpuspec exits 1 and says why.
status=0
run check docs/examples/stale_lma_after_init.json --expect init || status=$?
if [ "$status" -ne 1 ]; then
  echo "demo: expected exit 1 for the broken state, got $status" >&2
  exit 1
fi
echo
echo "demo: done (the broken state was reported, as intended)"

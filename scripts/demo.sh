#!/bin/sh
# The demo: installs dependencies, builds vcpuspec, proves the RESET/INIT
# invariants, finds the ordering hazards of KVM's v5.10.7 RESET/INIT flows,
# proves the later flows free of them, shows the findings that remain on
# current kernels (v6.12, v7.1.3), writes the hazards table, compares each
# VMM's RESET and INIT with the architecture's, and checks two captured
# states: a real KVM RESET state (clean) and a broken one.
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

# Runs a command that must exit with status $1 (1: a counterexample or a
# violation, found on purpose).
expect() {
  want=$1
  shift
  status=0
  run "$@" || status=$?
  if [ "$status" -ne "$want" ]; then
    echo "demo: expected exit $want from 'vcpuspec $*', got $status" >&2
    exit 1
  fi
}

run prove --state RESET --state INIT
# KVM 5.10: every hazard the series fixed, as a counterexample. One in full:
expect 1 prove --flow kvm_5_10.vcpu_reset_vmx --property H3.LMA_FROM_OLD_CR0
echo
echo "\$ vcpuspec prove --flow 'kvm_5_10.*' | grep -E '^flow|FAILED'"
./build/vcpuspec prove --flow 'kvm_5_10.*' | grep -E '^flow|FAILED' || true
# The 5.10 stable tail (v5.10.198): two backports, the rest still missing.
echo
echo "\$ vcpuspec prove --flow 'kvm_5_10_198.*' | grep -E '^flow|FAILED'"
./build/vcpuspec prove --flow 'kvm_5_10_198.*' | grep -E '^flow|FAILED' || true
# KVM v5.15 and v5.15.55: the hazards the series named are gone; what two
# later SVM fixes (c53bbe2145f5, ed129ec9057f) removed, and the findings that
# remain on current kernels, are listed.
echo
echo "\$ vcpuspec prove --flow 'kvm_5_15*' | grep -E '^flow|FAILED'"
./build/vcpuspec prove --flow 'kvm_5_15*' | grep -E '^flow|FAILED' || true
# The current kernels (v6.12, v7.1.3): every fixed hazard proved; the findings
# docs/flows.md writes up, one in full: VMX INIT from paging off leaves the
# guest's old CR3 in GUEST_CR3 (EPT with unrestricted guest).
expect 1 prove --flow kvm_6_12.vcpu_reset_vmx --property H9.GUEST_CR3.VMX
echo
echo "\$ vcpuspec prove --flow 'kvm_6_12.*' --flow 'kvm_7_1_3.*' | grep -E '^flow|FAILED'"
./build/vcpuspec prove --flow 'kvm_6_12.*' --flow 'kvm_7_1_3.*' | grep -E '^flow|FAILED' || true
run prove --report md -o build/hazards.md
echo "(the hazards table: build/hazards.md, the same as docs/hazards.md)"
run render counterexample --flow kvm_5_10.vcpu_reset_vmx --property H3.LMA_FROM_OLD_CR0 -o build/h3.svg
echo "(the counterexample drawn: build/h3.svg)"
run render modes -o build/modes.svg
echo "(the CPU mode machine Z3 derived from the spec: build/modes.svg)"
run lint
# Every VMM's own RESET and INIT against the architecture's; the table.
echo
echo "\$ vcpuspec compare | grep -v '^  '"
./build/vcpuspec compare | grep -v '^  '
run compare --vmm bochs
run compare --report md -o build/vmms.md
echo "(the VMM x field table: build/vmms.md, the same as docs/vmms.md)"
run check docs/examples/kvm_reset_bsp.json --expect reset
# This one is broken on purpose: vcpuspec exits 1 and says why.
expect 1 check docs/examples/stale_lma_after_init.json --expect init
echo
echo "demo: done (the 5.10 hazards and the broken state were reported, as intended)"

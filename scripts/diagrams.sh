#!/bin/sh
# Regenerates docs/diagrams/*.svg from the built-in spec (needs build/vcpuspec:
# run ./scripts/demo.sh or a build first).
set -eu
cd "$(dirname "$0")/.."
v=./build/vcpuspec
mkdir -p docs/diagrams
$v render counterexample --flow kvm_5_10.vcpu_reset_vmx --property H3.LMA_FROM_OLD_CR0 \
  -o docs/diagrams/counterexample_h3_kvm_5_10_vcpu_reset_vmx.svg
$v render counterexample --flow kvm_5_10.vcpu_reset_vmx --property H2.NO_STALE_LMA_ROLE \
  -o docs/diagrams/counterexample_h2_kvm_5_10_vcpu_reset_vmx.svg
$v render counterexample --flow kvm_6_12.vcpu_reset_vmx --property H9.GUEST_CR3.VMX \
  -o docs/diagrams/counterexample_h9_guest_cr3_kvm_6_12_vcpu_reset_vmx.svg
$v render counterexample --flow kvm_6_12.vcpu_reset_svm --property H11.MMU_AFTER_RESET \
  -o docs/diagrams/counterexample_h11_kvm_6_12_vcpu_reset_svm.svg
$v render flow kvm_5_10.vcpu_reset_svm --compare kvm_5_15.vcpu_reset_svm -o docs/diagrams/compare_vcpu_reset_svm.svg
$v render flow kvm_5_10.vcpu_reset_vmx --compare kvm_5_15.vcpu_reset_vmx -o docs/diagrams/compare_vcpu_reset_vmx.svg
$v render flow kvm_5_15.vcpu_reset_vmx -o docs/diagrams/flow_kvm_5_15_vcpu_reset_vmx.svg
$v render modes -o docs/diagrams/modes.svg
echo "diagrams: docs/diagrams/ regenerated"

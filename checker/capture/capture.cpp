#include "capture/capture.hpp"

namespace vcpuspec::capture {

namespace {

std::string host_text(const HostInfo& h, const CpuModel& cpu) {
  std::string s = "KVM on Linux " + (h.kernel.empty() ? std::string("?") : h.kernel) + " (vendor module " +
                  (h.backend.empty() ? std::string("unknown") : h.backend);
  if (!cpu.vendor.empty()) s += ", " + cpu.vendor + " CPUID";
  return s + ")";
}

std::string read_text(const KvmVcpuState& s) {
  return std::string("read with KVM_GET_REGS, ") + (s.from_sregs2 ? "KVM_GET_SREGS2" : "KVM_GET_SREGS") +
         ", KVM_GET_MSRS, KVM_GET_XCRS, KVM_GET_DEBUGREGS" + (s.xsave ? ", KVM_GET_XSAVE" : "") + "; " +
         events_summary(s);
}

std::optional<Captured> finish(Vcpu& vcpu, const Vm& vm, const HostInfo& host, std::string what, bool bsp,
                               bool with_signature, const CaptureOptions& o, readers::Slots slots, CaptureError& err,
                               std::vector<std::string> omit = {}) {
  Captured c;
  c.description.omit = std::move(omit);
  if (!read_vcpu(vcpu, msr_indices(), c.state, err)) return std::nullopt;
  c.cpu = cpu_model(vm.supported_cpuid());
  c.description.flavor = flavor_for_backend(host.backend);
  c.description.bsp = bsp;
  c.description.signature = with_signature ? c.cpu.signature : 0x600u;
  c.description.with_tsc = o.with_tsc;
  c.description.source = host_text(host, c.cpu) + ": " + what + "; " + read_text(c.state);
  c.json = state_json(c.state, c.cpu, c.description, slots);
  return c;
}

}  // namespace

std::optional<Captured> capture_reset(unsigned vcpu_id, const CaptureOptions& o, readers::Slots slots,
                                      CaptureError& err) {
  HostInfo host = host_info();
  std::unique_ptr<Vm> vm = Vm::create(o.device, err);
  if (!vm) return std::nullopt;
  Vcpu* bsp = vm->add_vcpu(0, err);
  if (!bsp) return std::nullopt;
  Vcpu* v = bsp;
  if (vcpu_id != 0 && !(v = vm->add_vcpu(vcpu_id, err))) return std::nullopt;
  std::string what = "fresh vCPU " + std::to_string(vcpu_id) + (vcpu_id == 0 ? " (the BSP)" : " (an AP)") +
                     " right after KVM_CREATE_VCPU";
  // KVM computed RDX at KVM_CREATE_VCPU, before the vCPU had any CPUID: the
  // 0x600 fallback (kvm_vcpu_reset). That, not the host's signature, is the
  // signature this RESET state carries.
  what += "; RDX was set before the vCPU had CPUID, so cpu.signature is KVM's 0x600 fallback";
  return finish(*v, *vm, host, what, vcpu_id == 0, false, o, slots, err);
}

std::optional<ProgramCapture> capture_program(const GuestProgram& program, bool with_init, const CaptureOptions& o,
                                              readers::Slots slots, CaptureError& err) {
  HostInfo host = host_info();
  std::unique_ptr<Vm> vm = Vm::create(o.device, err);
  if (!vm) return std::nullopt;
  Vcpu* bsp = vm->add_vcpu(0, err);
  if (!bsp) return std::nullopt;
  load_program(*vm, program);
  if (!run_program(*bsp, program, err)) return std::nullopt;
  bsp->complete_pending_io();
  ProgramCapture out;
  std::string what = std::string("vCPU 0 (the BSP) after guest program '") + program.name + "' (" + program.summary + ")";
  auto after = finish(*bsp, *vm, host, what, true, true, o, slots, err);
  if (!after) return std::nullopt;
  out.after = std::move(*after);
  if (!with_init) return out;

  // INIT through the local APIC (docs/oracles.md): software-enable it, send an
  // INIT message, and let KVM_GET_MP_STATE accept it (kvm_apic_accept_events
  // -> kvm_vcpu_reset(vcpu, true)) without running guest code after it.
  if (!enable_local_apic(*bsp, err) || !vm->signal_init(0, err)) return std::nullopt;
  std::string init_what = what + ", then INIT (KVM_SIGNAL_MSI, delivery mode INIT, to APIC ID 0), accepted by "
                                 "KVM_GET_MP_STATE";
  std::vector<std::string> moved;  // fields guest code changed after the INIT
  if (o.enter_after_init) {
    if (!mp_state(*bsp)) {
      err.message = "KVM_GET_MP_STATE failed after the INIT";
      return std::nullopt;
    }
    out.guest_cr3 = run_reset_vector_cr3_probe(*vm, *bsp, err);
    if (!out.guest_cr3) return std::nullopt;
    bsp->complete_pending_io();
    init_what += ", then one KVM_RUN: the guest ran from the reset vector, read CR3 = " + hex(*out.guest_cr3) +
                 " and exited (RIP and RAX, which the probe moved, are left out)";
    moved = {"RIP", "RAX"};
  } else {
    init_what += " before any further KVM_RUN";
  }
  auto init = finish(*bsp, *vm, host, init_what, true, true, o, slots, err, std::move(moved));
  if (!init) return std::nullopt;
  out.init = std::move(*init);
  return out;
}

}  // namespace vcpuspec::capture

#include "capture/vcpu_state.hpp"

#include "capture/kvm_abi.hpp"

#include <cerrno>
#include <cstring>
#include <sys/ioctl.h>

namespace vcpuspec::capture {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// One MSR per KVM_GET/SET_MSRS call: the ioctl returns how many it handled
// and stops at the first it refuses.
struct OneMsr {
  abi::MsrsBuffer buf{1};
  OneMsr() { buf.header().nmsrs = 1; }
  kvm_msr_entry& entry() { return buf.entries()[0]; }
};

}  // namespace

const MsrValue* KvmVcpuState::msr(uint32_t index) const {
  for (const MsrValue& m : msrs)
    if (m.index == index) return &m;
  return nullptr;
}

bool read_vcpu(Vcpu& vcpu, const std::vector<uint32_t>& msr_indices, KvmVcpuState& out, CaptureError& err) {
  out = KvmVcpuState{};
  const int fd = vcpu.fd();
  out.mp_state = mp_state(vcpu);
  if (::ioctl(fd, KVM_GET_REGS, &out.regs) != 0) {
    err.message = errno_text("KVM_GET_REGS");
    return false;
  }
  kvm_sregs2 s2{};
  if (::ioctl(fd, KVM_GET_SREGS2, &s2) == 0) {
    // kvm_sregs2 starts with the kvm_sregs fields up to apic_base.
    out.sregs.cs = s2.cs; out.sregs.ds = s2.ds; out.sregs.es = s2.es; out.sregs.fs = s2.fs;
    out.sregs.gs = s2.gs; out.sregs.ss = s2.ss; out.sregs.tr = s2.tr; out.sregs.ldt = s2.ldt;
    out.sregs.gdt = s2.gdt; out.sregs.idt = s2.idt;
    out.sregs.cr0 = s2.cr0; out.sregs.cr2 = s2.cr2; out.sregs.cr3 = s2.cr3; out.sregs.cr4 = s2.cr4;
    out.sregs.cr8 = s2.cr8; out.sregs.efer = s2.efer; out.sregs.apic_base = s2.apic_base;
    out.from_sregs2 = true;
  } else if (::ioctl(fd, KVM_GET_SREGS, &out.sregs) != 0) {
    err.message = errno_text("KVM_GET_SREGS");
    return false;
  }
  for (uint32_t index : msr_indices) {
    OneMsr m;
    m.entry().index = index;
    if (::ioctl(fd, abi::kGetMsrs, m.buf.data()) == 1) out.msrs.push_back({index, m.entry().data});
  }
  kvm_xcrs xcrs{};
  if (::ioctl(fd, KVM_GET_XCRS, &xcrs) == 0)
    for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; ++i)
      if (xcrs.xcrs[i].xcr == 0) out.xcr0 = xcrs.xcrs[i].value;
  kvm_debugregs dbg{};
  if (::ioctl(fd, KVM_GET_DEBUGREGS, &dbg) == 0) out.debugregs = dbg;
  // KVM_GET_XSAVE fails where the guest's XSAVE state outgrows 4 KiB (AMX
  // permitted); the x87/SSE fields are then left out.
  std::array<__u32, 1024> xs{};
  if (::ioctl(fd, abi::kGetXsave, xs.data()) == 0) out.xsave = xs;
  kvm_vcpu_events ev{};
  if (::ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) == 0) out.events = ev;
  return true;
}

const char* set_ioctl_name(SetIoctl s) {
  switch (s) {
    case SetIoctl::Sregs: return "KVM_SET_SREGS";
    case SetIoctl::Regs: return "KVM_SET_REGS";
    case SetIoctl::Debugregs: return "KVM_SET_DEBUGREGS";
    case SetIoctl::Xcrs: return "KVM_SET_XCRS";
    case SetIoctl::Xsave: return "KVM_SET_XSAVE";
    case SetIoctl::Msrs: return "KVM_SET_MSRS";
  }
  return "?";
}

WriteResult write_vcpu(Vcpu& vcpu, const KvmVcpuState& s) {
  WriteResult r;
  const int fd = vcpu.fd();
  auto reject = [&](SetIoctl which, std::string detail) {
    r.accepted = false;
    r.rejected_by = which;
    r.detail = std::move(detail);
    return r;
  };
  kvm_sregs sregs = s.sregs;
  std::memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));  // nothing injected
  if (::ioctl(fd, KVM_SET_SREGS, &sregs) != 0) return reject(SetIoctl::Sregs, std::strerror(errno));
  kvm_regs regs = s.regs;
  if (::ioctl(fd, KVM_SET_REGS, &regs) != 0) return reject(SetIoctl::Regs, std::strerror(errno));
  if (s.debugregs) {
    kvm_debugregs d = *s.debugregs;
    d.flags = 0;
    if (::ioctl(fd, KVM_SET_DEBUGREGS, &d) != 0) return reject(SetIoctl::Debugregs, std::strerror(errno));
  }
  if (s.xcr0) {
    kvm_xcrs x{};
    x.nr_xcrs = 1;
    x.xcrs[0].xcr = 0;
    x.xcrs[0].value = *s.xcr0;
    if (::ioctl(fd, KVM_SET_XCRS, &x) != 0) return reject(SetIoctl::Xcrs, std::strerror(errno));
  }
  if (s.xsave) {
    std::array<__u32, 1024> x = *s.xsave;
    if (::ioctl(fd, abi::kSetXsave, x.data()) != 0) return reject(SetIoctl::Xsave, std::strerror(errno));
  }
  for (const MsrValue& m : s.msrs) {
    OneMsr one;
    one.entry().index = m.index;
    one.entry().data = m.value;
    int n = ::ioctl(fd, abi::kSetMsrs, one.buf.data());
    if (n != 1) {
      char idx[16];
      std::snprintf(idx, sizeof idx, "0x%x", m.index);
      return reject(SetIoctl::Msrs, n < 0 ? std::strerror(errno) : std::string("MSR ") + idx + " refused");
    }
  }
  return r;
}

}  // namespace vcpuspec::capture

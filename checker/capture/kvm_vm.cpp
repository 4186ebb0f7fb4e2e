#include "capture/kvm_vm.hpp"

#include "capture/kvm_abi.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace vcpuspec::capture {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

HostInfo host_info() {
  HostInfo h;
  utsname u{};
  if (::uname(&u) == 0) h.kernel = u.release;
  // The vendor module decides which hardware state backs the vCPU: a VMCS
  // (kvm_intel), a VMCB (kvm_amd), or neither (kvm_pvm, the pagetable-based
  // virtual machine, which needs no VMX/SVM).
  for (const char* m : {"kvm_intel", "kvm_amd", "kvm_pvm"}) {
    struct stat st{};
    if (::stat((std::string("/sys/module/") + m).c_str(), &st) == 0) {
      h.backend = m;
      break;
    }
  }
  return h;
}

const kvm_cpuid_entry2* CpuidTable::find(uint32_t function, uint32_t index) const {
  for (const kvm_cpuid_entry2& e : entries) {
    if (e.function != function) continue;
    if ((e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e.index != index) continue;
    return &e;
  }
  return nullptr;
}

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// KVM_RUN is bounded by a per-thread timer whose signal only interrupts the
// ioctl (the handler does nothing; KVM returns -EINTR).
void on_timer(int) {}

class RunTimer {
 public:
  explicit RunTimer(unsigned ms) {
    struct sigaction sa{};
    sa.sa_handler = on_timer;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR2, &sa, &old_);  // no SA_RESTART: the ioctl must fail with EINTR
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGUSR2;
    sev._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
    if (::timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0) return;
    armed_ = true;
    itimerspec its{};
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = static_cast<long>(ms % 1000) * 1000000L;
    ::timer_settime(timer_, 0, &its, nullptr);
  }
  ~RunTimer() {
    if (armed_) ::timer_delete(timer_);
    ::sigaction(SIGUSR2, &old_, nullptr);
  }
  RunTimer(const RunTimer&) = delete;
  RunTimer& operator=(const RunTimer&) = delete;

 private:
  timer_t timer_{};
  bool armed_ = false;
  struct sigaction old_{};
};

const char* exit_reason_name(uint32_t r) {
  switch (r) {
    case KVM_EXIT_HLT: return "HLT";
    case KVM_EXIT_MMIO: return "MMIO";
    case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    case KVM_EXIT_EXCEPTION: return "EXCEPTION";
    case KVM_EXIT_DEBUG: return "DEBUG";
    case KVM_EXIT_SYSTEM_EVENT: return "SYSTEM_EVENT";
    default: return "other";
  }
}

}  // namespace

Vcpu::~Vcpu() {
  if (run_) ::munmap(run_, run_size_);
}

RunExit Vcpu::run(unsigned timeout_ms) {
  RunExit out;
  int r;
  {
    RunTimer timer(timeout_ms);
    r = ::ioctl(fd_.get(), KVM_RUN, 0);
  }
  if (r < 0 && errno == EINTR) {
    out.kind = RunExit::Kind::Timeout;
    return out;
  }
  if (r < 0) {
    out.detail = errno_text("KVM_RUN");
    return out;
  }
  switch (run_->exit_reason) {
    case KVM_EXIT_IO:
      out.kind = RunExit::Kind::Io;
      out.port = run_->io.port;
      if (run_->io.direction == KVM_EXIT_IO_OUT && run_->io.size <= sizeof out.value)
        std::memcpy(&out.value, reinterpret_cast<const uint8_t*>(run_) + run_->io.data_offset, run_->io.size);
      return out;
    case KVM_EXIT_SHUTDOWN:
      out.kind = RunExit::Kind::Shutdown;
      return out;
    case KVM_EXIT_INTERNAL_ERROR:
      out.detail = "KVM_EXIT_INTERNAL_ERROR, suberror " + std::to_string(run_->internal.suberror);
      return out;
    case KVM_EXIT_FAIL_ENTRY:
      out.detail = "KVM_EXIT_FAIL_ENTRY, hardware reason " +
                   std::to_string(run_->fail_entry.hardware_entry_failure_reason);
      return out;
    default:
      out.detail = std::string("exit reason ") + std::to_string(run_->exit_reason) + " (" +
                   exit_reason_name(run_->exit_reason) + ")";
      return out;
  }
}

void Vcpu::complete_pending_io() {
  run_->immediate_exit = 1;
  ::ioctl(fd_.get(), KVM_RUN, 0);  // -EINTR by design, after the PIO completion
  run_->immediate_exit = 0;
}

std::unique_ptr<Vm> Vm::create(const std::string& device, CaptureError& err) {
  std::unique_ptr<Vm> vm(new Vm());
  vm->kvm_ = Fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (!vm->kvm_.valid()) {
    err.message = errno == ENOENT ? device + " does not exist: this host has no KVM (capture needs Linux with KVM)"
                  : errno == EACCES || errno == EPERM
                      ? device + ": permission denied (capture needs read-write access to it, e.g. the kvm group)"
                      : errno_text(device.c_str());
    return nullptr;
  }
  if (::ioctl(vm->kvm_.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
    err.message = device + ": not a KVM device (KVM_GET_API_VERSION failed)";
    return nullptr;
  }
  int run_size = ::ioctl(vm->kvm_.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) {
    err.message = errno_text("KVM_GET_VCPU_MMAP_SIZE");
    return nullptr;
  }
  vm->run_size_ = static_cast<size_t>(run_size);

  // KVM_GET_SUPPORTED_CPUID fails with E2BIG until the buffer is large enough.
  for (uint32_t n = 64; n <= 4096; n *= 2) {
    abi::CpuidBuffer buf(n);
    buf.header().nent = n;
    if (::ioctl(vm->kvm_.get(), abi::kGetSupportedCpuid, buf.data()) == 0) {
      vm->cpuid_.entries.assign(buf.entries(), buf.entries() + buf.header().nent);
      break;
    }
    if (errno != E2BIG) {
      err.message = errno_text("KVM_GET_SUPPORTED_CPUID");
      return nullptr;
    }
  }

  vm->vm_ = Fd(::ioctl(vm->kvm_.get(), KVM_CREATE_VM, 0));
  if (!vm->vm_.valid()) {
    err.message = errno_text("KVM_CREATE_VM");
    return nullptr;
  }
  // The in-kernel irqchip: without it there is no local APIC to take an INIT.
  if (::ioctl(vm->vm_.get(), KVM_CREATE_IRQCHIP, 0) != 0) {
    err.message = errno_text("KVM_CREATE_IRQCHIP");
    return nullptr;
  }
  // vCPU 0 is the bootstrap processor (kvm_vcpu_is_reset_bsp); say so rather than rely on the default.
  if (::ioctl(vm->vm_.get(), KVM_SET_BOOT_CPU_ID, 0UL) != 0) {
    err.message = errno_text("KVM_SET_BOOT_CPU_ID");
    return nullptr;
  }
  auto map = [&](uint32_t slot, uint64_t gpa, uint64_t size, uint8_t*& host) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      err.message = errno_text("mmap guest memory");
      return false;
    }
    host = static_cast<uint8_t*>(p);
    kvm_userspace_memory_region r{};
    r.slot = slot;
    r.guest_phys_addr = gpa;
    r.memory_size = size;
    r.userspace_addr = reinterpret_cast<uint64_t>(p);
    if (::ioctl(vm->vm_.get(), KVM_SET_USER_MEMORY_REGION, &r) != 0) {
      err.message = errno_text("KVM_SET_USER_MEMORY_REGION");
      return false;
    }
    return true;
  };
  if (!map(0, 0, kLowMemSize, vm->low_) || !map(1, kHighMemBase, kHighMemSize, vm->high_)) return nullptr;
  return vm;
}

Vm::~Vm() {
  vcpus_.clear();  // vCPU fds before the VM fd
  if (low_) ::munmap(low_, kLowMemSize);
  if (high_) ::munmap(high_, kHighMemSize);
}

uint8_t* Vm::guest(uint64_t gpa, size_t len) {
  if (gpa + len <= kLowMemSize) return low_ + gpa;
  if (gpa >= kHighMemBase && gpa - kHighMemBase + len <= kHighMemSize) return high_ + (gpa - kHighMemBase);
  return nullptr;
}

void Vm::write(uint64_t gpa, std::span<const uint8_t> bytes) {
  uint8_t* p = guest(gpa, bytes.size());
  if (!p) throw std::logic_error("guest write outside guest memory");
  std::memcpy(p, bytes.data(), bytes.size());
}

Vcpu* Vm::add_vcpu(unsigned id, CaptureError& err) {
  Fd fd(::ioctl(vm_.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(id)));
  if (!fd.valid()) {
    err.message = errno_text(("KVM_CREATE_VCPU " + std::to_string(id)).c_str());
    return nullptr;
  }
  abi::CpuidBuffer buf(cpuid_.entries.size());
  buf.header().nent = static_cast<uint32_t>(cpuid_.entries.size());
  std::memcpy(buf.entries(), cpuid_.entries.data(), cpuid_.entries.size() * sizeof(kvm_cpuid_entry2));
  // The APIC ID in CPUID.01H:EBX[31:24] and leaf 0BH follows the vCPU id.
  for (uint32_t i = 0; i < buf.header().nent; ++i) {
    kvm_cpuid_entry2& e = buf.entries()[i];
    if (e.function == 1) e.ebx = (e.ebx & 0x00FFFFFF) | (id << 24);
    if (e.function == 0xB || e.function == 0x1F) e.edx = id;
  }
  if (::ioctl(fd.get(), abi::kSetCpuid2, buf.data()) != 0) {
    err.message = errno_text("KVM_SET_CPUID2");
    return nullptr;
  }
  void* run = ::mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (run == MAP_FAILED) {
    err.message = errno_text("mmap kvm_run");
    return nullptr;
  }
  vcpus_.push_back(std::make_unique<Vcpu>(std::move(fd), static_cast<kvm_run*>(run), run_size_, id));
  return vcpus_.back().get();
}

bool Vm::signal_init(unsigned apic_id, CaptureError& err) {
  kvm_msi msi{};
  msi.address_lo = 0xFEE00000u | (apic_id << 12);  // physical destination mode
  msi.data = 0x500;                                 // delivery mode INIT (5), edge
  int r = ::ioctl(vm_.get(), KVM_SIGNAL_MSI, &msi);
  if (r < 0) {
    err.message = errno_text("KVM_SIGNAL_MSI (INIT)");
    return false;
  }
  if (r == 0) {
    err.message = "KVM_SIGNAL_MSI (INIT): not delivered (is the local APIC software-enabled?)";
    return false;
  }
  return true;
}

bool enable_local_apic(Vcpu& vcpu, CaptureError& err) {
  kvm_lapic_state lapic{};
  if (::ioctl(vcpu.fd(), KVM_GET_LAPIC, &lapic) != 0) {
    err.message = errno_text("KVM_GET_LAPIC");
    return false;
  }
  uint32_t svr;
  std::memcpy(&svr, lapic.regs + 0xF0, 4);
  svr |= 0x100;  // APIC software enable
  std::memcpy(lapic.regs + 0xF0, &svr, 4);
  if (::ioctl(vcpu.fd(), KVM_SET_LAPIC, &lapic) != 0) {
    err.message = errno_text("KVM_SET_LAPIC");
    return false;
  }
  return true;
}

std::optional<uint32_t> mp_state(Vcpu& vcpu) {
  kvm_mp_state mp{};
  if (::ioctl(vcpu.fd(), KVM_GET_MP_STATE, &mp) != 0) return std::nullopt;
  return mp.mp_state;
}

const char* mp_state_name(uint32_t s) {
  switch (s) {
    case KVM_MP_STATE_RUNNABLE: return "RUNNABLE";
    case KVM_MP_STATE_UNINITIALIZED: return "UNINITIALIZED (waiting for INIT/SIPI)";
    case KVM_MP_STATE_INIT_RECEIVED: return "INIT_RECEIVED (waiting for SIPI)";
    case KVM_MP_STATE_HALTED: return "HALTED";
    case KVM_MP_STATE_SIPI_RECEIVED: return "SIPI_RECEIVED";
    default: return "other";
  }
}

}  // namespace vcpuspec::capture

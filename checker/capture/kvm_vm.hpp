// A minimal KVM virtual machine for capturing vCPU state: /dev/kvm, one VM
// with the in-kernel irqchip, guest memory that covers the reset vector, and
// vCPUs with the CPUID KVM supports (as every VMM sets it). Linux only.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <linux/kvm.h>

namespace vcpuspec::capture {

// Why a capture could not be made: one line, no position (the input is the host).
struct CaptureError {
  std::string message;
};

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// What the host is: kernel release and the KVM vendor module that is loaded.
struct HostInfo {
  std::string kernel;   // uname -r
  std::string backend;  // kvm_intel | kvm_amd | kvm_pvm | "" (unknown)
};
HostInfo host_info();

// The CPUID table KVM_GET_SUPPORTED_CPUID reports; looked up by leaf/subleaf.
struct CpuidTable {
  std::vector<kvm_cpuid_entry2> entries;
  const kvm_cpuid_entry2* find(uint32_t function, uint32_t index = 0) const;
};

// Guest physical memory: the low megabyte (programs, tables) and the top
// 64 KiB below 4 GiB (the reset vector at 0xFFFFFFF0).
inline constexpr const char* kKvmDevice = "/dev/kvm";

inline constexpr uint64_t kLowMemSize = 0x100000;
inline constexpr uint64_t kHighMemBase = 0xFFFF0000;
inline constexpr uint64_t kHighMemSize = 0x10000;

// How a KVM_RUN ended.
struct RunExit {
  enum class Kind { Io, Shutdown, Timeout, Other } kind = Kind::Other;
  uint16_t port = 0;
  uint32_t value = 0;      // the data of an OUT (1, 2 or 4 bytes)
  std::string detail;      // for Other: exit reason and data
};

class Vcpu {
 public:
  Vcpu(Fd fd, kvm_run* run, size_t run_size, unsigned id) : fd_(std::move(fd)), run_(run), run_size_(run_size), id_(id) {}
  ~Vcpu();
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  unsigned id() const { return id_; }
  int fd() const { return fd_.get(); }
  // Runs the guest until it exits to user space, or `timeout_ms` passes.
  RunExit run(unsigned timeout_ms);
  // KVM_RUN with immediate_exit: completes a pending OUT (advances RIP past
  // it) without running guest code.
  void complete_pending_io();

 private:
  Fd fd_;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  unsigned id_ = 0;
};

class Vm {
 public:
  // Opens `device` (/dev/kvm), creates a VM with the in-kernel irqchip and
  // the memory above. Null with `err` set when the device is missing or not
  // permitted.
  static std::unique_ptr<Vm> create(const std::string& device, CaptureError& err);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  const CpuidTable& supported_cpuid() const { return cpuid_; }
  // Guest memory as host pointers; `gpa` must lie in one of the two regions.
  uint8_t* guest(uint64_t gpa, size_t len);
  void write(uint64_t gpa, std::span<const uint8_t> bytes);

  // Creates vCPU `id` (vCPU 0 is the BSP: KVM_SET_BOOT_CPU_ID 0) and gives it
  // the supported CPUID.
  Vcpu* add_vcpu(unsigned id, CaptureError& err);
  // Sends an INIT (delivery mode 5, edge) to the local APIC with `apic_id`
  // through KVM_SIGNAL_MSI. True when KVM delivered it.
  bool signal_init(unsigned apic_id, CaptureError& err);
  int fd() const { return vm_.get(); }

 private:
  Vm() = default;
  Fd kvm_, vm_;
  size_t run_size_ = 0;
  CpuidTable cpuid_;
  uint8_t* low_ = nullptr;
  uint8_t* high_ = nullptr;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

// The local APIC must be software-enabled (SVR bit 8) to accept an INIT
// message; KVM leaves it disabled at RESET.
bool enable_local_apic(Vcpu& vcpu, CaptureError& err);

// KVM_GET_MP_STATE; it also makes KVM accept pending INIT/SIPI events
// (kvm_apic_accept_events), which runs kvm_vcpu_reset(vcpu, true) for INIT.
std::optional<uint32_t> mp_state(Vcpu& vcpu);
const char* mp_state_name(uint32_t s);

}  // namespace vcpuspec::capture

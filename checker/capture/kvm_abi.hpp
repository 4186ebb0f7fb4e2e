// The variable-length KVM ioctl arguments this code uses, in their C
// layout. <linux/kvm.h> declares the arrays with __DECLARE_FLEX_ARRAY, which
// in C++ adds an empty struct: sizeof(kvm_cpuid2) becomes 12 instead of 8,
// the entries move to offset 12 (16 for kvm_msrs), and the ioctl numbers,
// which encode the size, no longer match the kernel's (EINVAL).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include <linux/kvm.h>
#include <sys/ioctl.h>

namespace vcpuspec::capture::abi {

struct CpuidHeader {  // struct kvm_cpuid2 without its array
  uint32_t nent;
  uint32_t padding;
};
struct MsrsHeader {  // struct kvm_msrs without its array
  uint32_t nmsrs;
  uint32_t pad;
};
static_assert(sizeof(CpuidHeader) == 8 && sizeof(MsrsHeader) == 8);

inline constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);
inline constexpr unsigned long kGetMsrs = _IOWR(KVMIO, 0x88, MsrsHeader);
inline constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, MsrsHeader);
// struct kvm_xsave: its 4096-byte region (the flexible `extra` follows it in C
// with size 0, in C++ as 4 bytes more).
using XsaveRegion = uint32_t[1024];
inline constexpr unsigned long kGetXsave = _IOR(KVMIO, 0xa4, XsaveRegion);
inline constexpr unsigned long kSetXsave = _IOW(KVMIO, 0xa5, XsaveRegion);
static_assert(sizeof(XsaveRegion) == 4096);

// A header followed by `n` entries, as the kernel reads it.
template <class Header, class Entry>
class Buffer {
 public:
  explicit Buffer(size_t n) : words_((sizeof(Header) + n * sizeof(Entry) + 7) / 8, 0) {}
  Header& header() { return *reinterpret_cast<Header*>(words_.data()); }
  Entry* entries() { return reinterpret_cast<Entry*>(reinterpret_cast<uint8_t*>(words_.data()) + sizeof(Header)); }
  void* data() { return words_.data(); }

 private:
  std::vector<uint64_t> words_;  // 8-byte aligned, zeroed (KVM rejects non-zero padding)
};

using CpuidBuffer = Buffer<CpuidHeader, kvm_cpuid_entry2>;
using MsrsBuffer = Buffer<MsrsHeader, kvm_msr_entry>;

}  // namespace vcpuspec::capture::abi

#include "capture/guest_programs.hpp"

#include <array>
#include <cstring>
#include <vector>

// Guest physical memory map (all below 1 MiB except the reset vector):
//   0x00500  GDT: 0x08 flat 32-bit code, 0x10 flat data, 0x18 64-bit code
//   0x00600  IDT/IVT: 64 real-mode vectors, each to a fault stub
//   0x00F00  GDTR pseudo-descriptor (limit 0x1F, base 0x500)
//   0x00F08  IDTR pseudo-descriptor (limit 0xFF, base 0x600)
//   0x01000  the program: common prologue, then its tail
//   0x02000  fault stubs, 8 bytes per vector: mov $v,%al; out %al,$0xF5; hlt; jmp
//   0x03000  32-bit page directory: one 4 MiB page at 0 (CR4.PSE)
//   0x04000  PML4 -> 0x05000 PDPT -> 0x06000 PD: one 2 MiB page at 0
//   0xFFFFFFF0  reset vector: ljmp $0x0000,$0x1000
// Every program first runs the prologue in real mode, then its tail; the
// GDTR and IDTR bases it loads (0x500, 0x600) differ from RESET's 0.

namespace vcpuspec::capture {

namespace {

constexpr uint64_t kGdt = 0x500, kIdt = 0x600, kGdtDesc = 0xF00, kIdtDesc = 0xF08;
constexpr uint64_t kProgram = 0x1000, kStubs = 0x2000;
constexpr uint64_t kPd32 = 0x3000, kPml4 = 0x4000, kPdpt = 0x5000, kPd64 = 0x6000;
constexpr unsigned kVectors = 64;

// Real mode, at 0000:1000. Leaves CR4 = OSFXSR|OSXSAVE, XCR0 = x87|SSE,
// SYSENTER_CS/ESP/EIP = 0x10/0x7000/0x8000, PAT with PA1 = WC (0x0007010600070106),
// MTRR_DEF_TYPE = E|FE|WB (0xC06), DR0 = 0x9000, DR7 = GE|bit 10 (0x600):
// all values INIT must keep (XCR0, the MSRs) or reset (CR4, DR0, DR7).
constexpr std::array<uint8_t, 0x7E> kPrologue = {
    0xfa,                                        // cli
    0x66, 0x0f, 0x01, 0x16, 0x00, 0x0f,          // lgdtl  0xf00
    0x66, 0x0f, 0x01, 0x1e, 0x08, 0x0f,          // lidtl  0xf08
    0x0f, 0x20, 0xe0,                            // mov    %cr4,%eax
    0x66, 0x0d, 0x00, 0x02, 0x04, 0x00,          // or     $0x40200,%eax        (OSXSAVE|OSFXSR)
    0x0f, 0x22, 0xe0,                            // mov    %eax,%cr4
    0x66, 0x31, 0xc9,                            // xor    %ecx,%ecx
    0x66, 0x31, 0xd2,                            // xor    %edx,%edx
    0x66, 0xb8, 0x03, 0x00, 0x00, 0x00,          // mov    $0x3,%eax
    0x0f, 0x01, 0xd1,                            // xsetbv                      (XCR0 = x87|SSE)
    0x66, 0xb9, 0x74, 0x01, 0x00, 0x00,          // mov    $0x174,%ecx          (IA32_SYSENTER_CS)
    0x66, 0xb8, 0x10, 0x00, 0x00, 0x00,          // mov    $0x10,%eax
    0x0f, 0x30,                                  // wrmsr
    0x66, 0x41,                                  // inc    %ecx                 (IA32_SYSENTER_ESP)
    0x66, 0xb8, 0x00, 0x70, 0x00, 0x00,          // mov    $0x7000,%eax
    0x0f, 0x30,                                  // wrmsr
    0x66, 0x41,                                  // inc    %ecx                 (IA32_SYSENTER_EIP)
    0x66, 0xb8, 0x00, 0x80, 0x00, 0x00,          // mov    $0x8000,%eax
    0x0f, 0x30,                                  // wrmsr
    0x66, 0xb9, 0x77, 0x02, 0x00, 0x00,          // mov    $0x277,%ecx          (IA32_PAT)
    0x66, 0xb8, 0x06, 0x01, 0x07, 0x00,          // mov    $0x70106,%eax
    0x66, 0x89, 0xc2,                            // mov    %eax,%edx
    0x0f, 0x30,                                  // wrmsr
    0x66, 0xb9, 0xff, 0x02, 0x00, 0x00,          // mov    $0x2ff,%ecx          (IA32_MTRR_DEF_TYPE)
    0x66, 0xb8, 0x06, 0x0c, 0x00, 0x00,          // mov    $0xc06,%eax
    0x66, 0x31, 0xd2,                            // xor    %edx,%edx
    0x0f, 0x30,                                  // wrmsr
    0x66, 0xb8, 0x00, 0x90, 0x00, 0x00,          // mov    $0x9000,%eax
    0x0f, 0x23, 0xc0,                            // mov    %eax,%db0
    0x66, 0xb8, 0x00, 0x06, 0x00, 0x00,          // mov    $0x600,%eax
    0x0f, 0x23, 0xf8,                            // mov    %eax,%db7
};
// The tails' far-jump targets are absolute: they assume this prologue length.
static_assert(kPrologue.size() == 0x7E);

// Stays in real mode with CR0.CD = CR0.NW = 1 (as RESET left them); CR3 = 0x3000,
// EFER = SCE|NXE.
constexpr uint8_t kRealMode[] = {
    0x66, 0xb8, 0x00, 0x30, 0x00, 0x00,          // mov    $0x3000,%eax
    0x0f, 0x22, 0xd8,                            // mov    %eax,%cr3
    0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,          // mov    $0xc0000080,%ecx     (IA32_EFER)
    0x0f, 0x32,                                  // rdmsr
    0x66, 0x0d, 0x01, 0x08, 0x00, 0x00,          // or     $0x801,%eax          (SCE|NXE)
    0x0f, 0x30,                                  // wrmsr
    0x66, 0xbb, 0x11, 0x11, 0x11, 0x11,          // mov    $0x11111111,%ebx
    0xe6, 0xf4,                                  // out    %al,$0xf4            (done)
    0xf4,                                        // 1: hlt
    0xeb, 0xfd,                                  // jmp    1b
};

// Flat 32-bit protected mode without paging, caches enabled (CD = NW = 0):
// CR0 = PE|MP|ET|NE, CR3 = 0x3000, EFER = SCE|NXE, CS = 0x08, data = 0x10.
constexpr uint8_t kProtected[] = {
    0x66, 0xb8, 0x00, 0x30, 0x00, 0x00,          // mov    $0x3000,%eax
    0x0f, 0x22, 0xd8,                            // mov    %eax,%cr3
    0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,          // mov    $0xc0000080,%ecx
    0x0f, 0x32,                                  // rdmsr
    0x66, 0x0d, 0x01, 0x08, 0x00, 0x00,          // or     $0x801,%eax          (SCE|NXE)
    0x0f, 0x30,                                  // wrmsr
    0x0f, 0x20, 0xc0,                            // mov    %cr0,%eax
    0x66, 0x25, 0xff, 0xff, 0xff, 0x9f,          // and    $0x9fffffff,%eax     (clear CD, NW)
    0x66, 0x83, 0xc8, 0x23,                      // or     $0x23,%eax           (PE|MP|NE)
    0x0f, 0x22, 0xc0,                            // mov    %eax,%cr0
    0x66, 0xea, 0xaf, 0x10, 0x00, 0x00, 0x08, 0x00,  // ljmpl $0x8,$pm32 (0x10af)
    // .code32, pm32:
    0xb8, 0x10, 0x00, 0x00, 0x00,                // mov    $0x10,%eax
    0x8e, 0xd8,                                  // mov    %eax,%ds
    0x8e, 0xc0,                                  // mov    %eax,%es
    0x8e, 0xd0,                                  // mov    %eax,%ss
    0x8e, 0xe0,                                  // mov    %eax,%fs
    0x8e, 0xe8,                                  // mov    %eax,%gs
    0xbb, 0x11, 0x11, 0x11, 0x11,                // mov    $0x11111111,%ebx
    0xe6, 0xf4,                                  // out    %al,$0xf4            (done)
    0xf4,                                        // 1: hlt
    0xeb, 0xfd,                                  // jmp    1b
};

// 32-bit protected mode with paging (4 MiB pages), caches enabled:
// CR0 = PG|WP|NE|ET|PE, CR3 = 0x3000, CR4 += PSE, EFER = SCE|NXE.
constexpr uint8_t kProtectedPaging[] = {
    0x0f, 0x20, 0xe0,                            // mov    %cr4,%eax
    0x66, 0x83, 0xc8, 0x10,                      // or     $0x10,%eax           (PSE)
    0x0f, 0x22, 0xe0,                            // mov    %eax,%cr4
    0x66, 0xb8, 0x00, 0x30, 0x00, 0x00,          // mov    $0x3000,%eax         (page directory)
    0x0f, 0x22, 0xd8,                            // mov    %eax,%cr3
    0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,          // mov    $0xc0000080,%ecx
    0x0f, 0x32,                                  // rdmsr
    0x66, 0x0d, 0x01, 0x08, 0x00, 0x00,          // or     $0x801,%eax          (SCE|NXE)
    0x0f, 0x30,                                  // wrmsr
    0x0f, 0x20, 0xc0,                            // mov    %cr0,%eax
    0x66, 0x25, 0xff, 0xff, 0xff, 0x9f,          // and    $0x9fffffff,%eax     (clear CD, NW)
    0x66, 0x0d, 0x21, 0x00, 0x01, 0x80,          // or     $0x80010021,%eax     (PG|WP|NE|PE)
    0x0f, 0x22, 0xc0,                            // mov    %eax,%cr0
    0x66, 0xea, 0xbb, 0x10, 0x00, 0x00, 0x08, 0x00,  // ljmpl $0x8,$pm32 (0x10bb)
    // .code32, pm32:
    0xb8, 0x10, 0x00, 0x00, 0x00,                // mov    $0x10,%eax
    0x8e, 0xd8,                                  // mov    %eax,%ds
    0x8e, 0xc0,                                  // mov    %eax,%es
    0x8e, 0xd0,                                  // mov    %eax,%ss
    0x8e, 0xe0,                                  // mov    %eax,%fs
    0x8e, 0xe8,                                  // mov    %eax,%gs
    0xbb, 0x11, 0x11, 0x11, 0x11,                // mov    $0x11111111,%ebx
    0xe6, 0xf4,                                  // out    %al,$0xf4            (done)
    0xf4,                                        // 1: hlt
    0xeb, 0xfd,                                  // jmp    1b
};

// 64-bit long mode, straight from real mode, with CR0.CD = 1 and NW = 0:
// CR0 = PG|CD|NE|ET|PE, CR4 += PAE, CR3 = 0x4000, EFER = SCE|LME|NXE (+LMA),
// CS = 0x18 (L = 1), data = 0x10.
constexpr uint8_t kLongModeCd[] = {
    0x0f, 0x20, 0xe0,                            // mov    %cr4,%eax
    0x66, 0x83, 0xc8, 0x20,                      // or     $0x20,%eax           (PAE)
    0x0f, 0x22, 0xe0,                            // mov    %eax,%cr4
    0x66, 0xb8, 0x00, 0x40, 0x00, 0x00,          // mov    $0x4000,%eax         (PML4)
    0x0f, 0x22, 0xd8,                            // mov    %eax,%cr3
    0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,          // mov    $0xc0000080,%ecx
    0x0f, 0x32,                                  // rdmsr
    0x66, 0x0d, 0x01, 0x09, 0x00, 0x00,          // or     $0x901,%eax          (SCE|LME|NXE)
    0x0f, 0x30,                                  // wrmsr
    0x0f, 0x20, 0xc0,                            // mov    %cr0,%eax
    0x66, 0x25, 0xff, 0xff, 0xff, 0xdf,          // and    $0xdfffffff,%eax     (clear NW, keep CD)
    0x66, 0x0d, 0x21, 0x00, 0x00, 0x80,          // or     $0x80000021,%eax     (PG|NE|PE: LMA)
    0x0f, 0x22, 0xc0,                            // mov    %eax,%cr0
    0x66, 0xea, 0xbb, 0x10, 0x00, 0x00, 0x18, 0x00,  // ljmpl $0x18,$lm64 (0x10bb)
    // .code64, lm64:
    0xb8, 0x10, 0x00, 0x00, 0x00,                // mov    $0x10,%eax
    0x8e, 0xd8,                                  // mov    %eax,%ds
    0x8e, 0xc0,                                  // mov    %eax,%es
    0x8e, 0xd0,                                  // mov    %eax,%ss
    0x8e, 0xe0,                                  // mov    %eax,%fs
    0x8e, 0xe8,                                  // mov    %eax,%gs
    0x48, 0xbb, 0x22, 0x22, 0x22, 0x22,          // movabs $0x1111111122222222,%rbx
    0x11, 0x11, 0x11, 0x11,
    0xe6, 0xf4,                                  // out    %al,$0xf4            (done)
    0xf4,                                        // 1: hlt
    0xeb, 0xfd,                                  // jmp    1b
};

constexpr GuestProgram kPrograms[] = {
    {"real-mode", "real mode, CR0.CD/NW still 1; CR3, CR4, EFER non-zero; GDTR/IDTR bases moved", kRealMode},
    {"protected", "flat 32-bit protected mode without paging, CR0.CD/NW = 0; CR3, CR4, EFER non-zero", kProtected},
    {"protected-paging", "32-bit protected mode with paging (CR4.PSE), CR0.CD/NW = 0, CR0.WP = 1", kProtectedPaging},
    {"long-mode-cd", "64-bit long mode with CR0.CD = 1, NW = 0; CR4.PAE, EFER.LME/LMA, CR3 = 0x4000", kLongModeCd},
};

// A descriptor in the GDT's 8-byte layout.
uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xFFFFull) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
         (uint64_t((limit >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) | (uint64_t(base >> 24) << 56);
}

template <class T>
void put(Vm& vm, uint64_t gpa, T value) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &value, sizeof(T));
  vm.write(gpa, b);
}

const char* vector_name(unsigned v) {
  static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "(9)",
                                "#TS", "#NP", "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM"};
  return v < sizeof(names) / sizeof(names[0]) ? names[v] : "";
}

}  // namespace

std::span<const GuestProgram> guest_programs() { return kPrograms; }

const GuestProgram* find_program(std::string_view name) {
  for (const GuestProgram& p : kPrograms)
    if (name == p.name) return &p;
  return nullptr;
}

std::string program_names() {
  std::string s;
  for (const GuestProgram& p : kPrograms) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

void load_program(Vm& vm, const GuestProgram& program) {
  // Reset vector: ljmp $0x0000,$0x1000 (real mode, CS base 0xFFFF0000 until the jump).
  const uint8_t reset_stub[] = {0xEA, 0x00, 0x10, 0x00, 0x00};
  vm.write(0xFFFFFFF0, reset_stub);
  put(vm, kGdt + 0x00, uint64_t{0});
  put(vm, kGdt + 0x08, descriptor(0, 0xFFFFF, 0x9B, 0xC));  // code, 32-bit, 4 GiB, accessed
  put(vm, kGdt + 0x10, descriptor(0, 0xFFFFF, 0x93, 0xC));  // data, 4 GiB, accessed
  put(vm, kGdt + 0x18, descriptor(0, 0xFFFFF, 0x9B, 0xA));  // code, 64-bit (L = 1, D = 0)
  put(vm, kGdtDesc, uint16_t{0x1F});
  put(vm, kGdtDesc + 2, uint32_t{kGdt});
  put(vm, kIdtDesc, uint16_t{kVectors * 4 - 1});
  put(vm, kIdtDesc + 2, uint32_t{kIdt});
  for (unsigned v = 0; v < kVectors; ++v) {
    put(vm, kIdt + v * 4, uint16_t(kStubs + v * 8));  // IVT entry: offset, segment 0
    put(vm, kIdt + v * 4 + 2, uint16_t{0});
    // mov $v,%al; out %al,$0xF5; hlt; jmp .-1; nop
    const uint8_t stub[8] = {0xB0, uint8_t(v), 0xE6, uint8_t(kFaultPort), 0xF4, 0xEB, 0xFD, 0x90};
    vm.write(kStubs + v * 8, stub);
  }
  put(vm, kPd32, uint32_t{0x83});             // 4 MiB page at 0: P|RW|PS
  put(vm, kPml4, uint64_t{kPdpt | 0x3});      // P|RW
  put(vm, kPdpt, uint64_t{kPd64 | 0x3});
  put(vm, kPd64, uint64_t{0x83});             // 2 MiB page at 0: P|RW|PS
  vm.write(kProgram, kPrologue);
  vm.write(kProgram + kPrologue.size(), program.tail);
}

namespace {

// Runs the vCPU until it writes to kDonePort; that exit, or nullopt with
// `err` saying why not. `what` names the code in messages.
std::optional<RunExit> run_until_done(Vcpu& vcpu, const std::string& what, CaptureError& err) {
  // A handful of exits at most (the code does I/O only when done).
  for (int i = 0; i < 16; ++i) {
    RunExit e = vcpu.run(2000);
    switch (e.kind) {
      case RunExit::Kind::Io:
        if (e.port == kDonePort) return e;
        if (e.port == kFaultPort) {
          err.message = what + " took exception " + std::to_string(e.value) + " " +
                        vector_name(e.value) +
                        " in real mode: this host's KVM refused a step of it";
          return std::nullopt;
        }
        continue;  // not ours: ignore
      case RunExit::Kind::Shutdown:
        err.message = what + ": the vCPU shut down (triple fault)";
        return std::nullopt;
      case RunExit::Kind::Timeout:
        err.message = what + " did not finish within 2 s";
        return std::nullopt;
      case RunExit::Kind::Other:
        err.message = what + ": " + e.detail;
        return std::nullopt;
    }
  }
  err.message = what + " made too many exits";
  return std::nullopt;
}

}  // namespace

bool run_program(Vcpu& vcpu, const GuestProgram& program, CaptureError& err) {
  return run_until_done(vcpu, std::string("guest program '") + program.name + "'", err).has_value();
}

std::optional<uint32_t> run_reset_vector_cr3_probe(Vm& vm, Vcpu& vcpu, CaptureError& err) {
  // mov %cr3,%eax; out %eax,$0xF4; 1: hlt; jmp 1b   (real mode, CS base 0xFFFF0000)
  const uint8_t probe[] = {0x0F, 0x20, 0xD8, 0x66, 0xE7, uint8_t(kDonePort), 0xF4, 0xEB, 0xFD};
  vm.write(0xFFFFFFF0, probe);
  auto e = run_until_done(vcpu, "the CR3 probe at the reset vector", err);
  if (!e) return std::nullopt;
  return e->value;
}

}  // namespace vcpuspec::capture

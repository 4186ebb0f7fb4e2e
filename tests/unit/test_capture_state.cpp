// capture's mapping between KVM's ioctl structures and the spec's slots,
// the CPU model it reads from CPUID, and the built-in guest programs. No
// /dev/kvm needed.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>

#include "capture/acceptance.hpp"
#include "capture/capture_state.hpp"
#include "capture/guest_programs.hpp"
#include "checker.gen.hpp"
#include "readers/state_json.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

// A state with every ioctl part present and every MSR the spec has.
capture::KvmVcpuState full_kvm_state() {
  capture::KvmVcpuState s;
  s.debugregs = kvm_debugregs{};
  s.xcr0 = 1;
  s.xsave.emplace();
  s.mp_state = KVM_MP_STATE_RUNNABLE;
  s.events = kvm_vcpu_events{};
  s.events->flags = KVM_VCPUEVENT_VALID_SMM;
  for (const capture::SpecMsr& m : capture::spec_msrs()) s.msrs.push_back({m.index, 0});
  return s;
}

kvm_cpuid_entry2 leaf(uint32_t fn, uint32_t idx, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  kvm_cpuid_entry2 e{};
  e.function = fn;
  e.index = idx;
  e.flags = fn == 7 || fn == 0xD ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
  e.eax = a, e.ebx = b, e.ecx = c, e.edx = d;
  return e;
}

capture::CpuidTable intel_cpuid() {
  capture::CpuidTable t;
  // "GenuineIntel" in EBX, EDX, ECX.
  t.entries.push_back(leaf(0, 0, 0xD, 0x756e6547, 0x6c65746e, 0x49656e69));
  t.entries.push_back(leaf(1, 0, 0xA0671, 0, (1u << 26) | (1u << 21), 0));  // XSAVE, x2APIC
  t.entries.push_back(leaf(7, 0, 0, 1u << 7, 0, 0));                        // SMEP
  t.entries.push_back(leaf(0xD, 0, 0x7, 0, 0, 0));
  t.entries.push_back(leaf(0x80000001, 0, 0, 0, 0, (1u << 29) | (1u << 20)));  // LM, NX
  t.entries.push_back(leaf(0x80000008, 0, 0x3930, 0, 0, 0));
  return t;
}

}  // namespace

TEST_CASE("capture: every spec state slot comes from an ioctl, and every ioctl field is a slot", "[capture]") {
  std::set<std::string> produced;
  for (const capture::Field& f : capture::state_fields(full_kvm_state())) {
    INFO(f.name);
    long id = readers::find_slot(test::slots(), f.name);
    CHECK(id >= 0);
    if (id >= 0) CHECK(rt::is_state_slot(test::slots()[static_cast<size_t>(id)].kind));
    CHECK(produced.insert(f.name).second);
  }
  // State the ioctls capture reads do not give: VMCS-only fields, and MSRs
  // KVM exposes only with a CPU feature (PMU, MPX, PT, CET, PKS, FRED).
  const std::set<std::string> not_captured = {
      "PENDING_DBG", "PDPTE0", "PDPTE1", "PDPTE2", "PDPTE3", "SSP", "PERF_GLOBAL_CTRL", "BNDCFGS", "RTIT_CTL",
      "U_CET", "S_CET", "PL0_SSP", "PL1_SSP", "PL2_SSP", "PL3_SSP", "INTERRUPT_SSP_TABLE_ADDR", "PKRS",
      "FRED_RSP1", "FRED_RSP2", "FRED_RSP3", "FRED_SSP1", "FRED_SSP2", "FRED_SSP3", "FRED_CONFIG"};
  for (const rt::SlotInfo& s : test::slots()) {
    if (!rt::is_state_slot(s.kind)) continue;
    INFO(s.name);
    CHECK(produced.count(s.name) == (not_captured.count(s.name) ? 0u : 1u));
  }
}

TEST_CASE("capture: set_field and state_fields round-trip every slot; AR bits kvm_segment lacks are refused",
          "[capture]") {
  capture::KvmVcpuState s = full_kvm_state();
  std::vector<capture::Field> fields = capture::state_fields(s);
  uint64_t v = 1;
  // ACTIVITY_STATE, INTERRUPTIBILITY and SMM are derived from mp_state and the
  // vCPU events, not stored: they do not round-trip through set_field.
  auto derived = [](const std::string& n) { return n == "ACTIVITY_STATE" || n == "INTERRUPTIBILITY" || n == "SMM"; };
  std::erase_if(fields, [&](const capture::Field& f) { return derived(f.name); });
  for (const capture::Field& f : fields) {
    // A value that fits the narrowest field (16-bit selectors and table limits).
    uint64_t x = f.name.ends_with(".ar") ? 0x1F09B : (v++ & 0x7FFF) + 1;
    INFO(f.name);
    CHECK(capture::set_field(s, f.name, x));
  }
  v = 1;
  for (const capture::Field& f : capture::state_fields(s)) {
    if (derived(f.name)) continue;
    uint64_t x = f.name.ends_with(".ar") ? 0x1F09B : (v++ & 0x7FFF) + 1;
    INFO(f.name);
    CHECK(f.value == x);
  }
  CHECK(capture::set_field(s, "CS.ar", 0x109B));         // bit 12 is AVL: kvm_segment has it
  CHECK_FALSE(capture::set_field(s, "CS.ar", 0x19B));    // bits 11:8 it has not
  CHECK_FALSE(capture::set_field(s, "CS.ar", 0x2009B));  // nor bits 31:17
  CHECK_FALSE(capture::set_field(s, "CS.sel", 0x10000));
  CHECK_FALSE(capture::set_field(s, "NOPE", 1));
}

TEST_CASE("capture: the CPU model from CPUID, and the state JSON reads back", "[capture]") {
  capture::CpuModel cpu = capture::cpu_model(intel_cpuid());
  CHECK(cpu.vendor == "intel");
  CHECK(cpu.maxphyaddr == 0x30u);
  CHECK(cpu.xcr0_supported == 7u);
  CHECK(cpu.signature == 0xA0671u);
  std::map<std::string, bool> f(cpu.features.begin(), cpu.features.end());
  CHECK(f["xsave"]);
  CHECK(f["x2apic"]);
  CHECK(f["smep"]);
  CHECK(f["lm"]);
  CHECK(f["nx"]);
  CHECK_FALSE(f["svm"]);
  CHECK_FALSE(f["la57"]);
  CHECK(f.count("lmsle") == 1);  // Intel: known absent

  capture::KvmVcpuState s = full_kvm_state();
  s.sregs.cr0 = 0x60000010;
  s.sregs.cs.selector = 0xF000;
  s.sregs.cs.type = 0xB;
  s.sregs.cs.s = 1;
  s.sregs.cs.present = 1;
  s.regs.rdx = 0xA0671;
  capture::CaptureDescription d;
  d.flavor = "arch";
  d.source = "unit test";
  d.bsp = false;
  d.signature = cpu.signature;
  std::string json = capture::state_json(s, cpu, d, test::slots());
  CHECK_THAT(json, Catch::Contains("\"features\""));
  auto r = readers::read_state_json(json, "x.json", test::slots());
  REQUIRE(std::holds_alternative<readers::StateInput>(r));
  const readers::StateInput& in = std::get<readers::StateInput>(r);
  auto get = [&](const char* n) { return in.state.get(static_cast<size_t>(readers::find_slot(test::slots(), n))); };
  CHECK(get("CR0") == 0x60000010);
  CHECK(get("CS.ar") == 0x9B);
  CHECK(get("cpu.signature") == 0xA0671);
  CHECK(get("cpu.smep") == 1);
  CHECK(get("cpu.la57") == 0);
  CHECK(get("vcpu.bsp") == 0);
  CHECK(in.flavor == "arch");

  // On AMD, EFER.LMSLE support is not knowable from CPUID: each known feature is named instead of a complete list.
  capture::CpuidTable amd = intel_cpuid();
  std::memcpy(&amd.entries[0].ebx, "Auth", 4);
  std::memcpy(&amd.entries[0].edx, "enti", 4);
  std::memcpy(&amd.entries[0].ecx, "cAMD", 4);
  capture::CpuModel a = capture::cpu_model(amd);
  CHECK(a.vendor == "amd");
  std::string ajson = capture::state_json(s, a, d, test::slots());
  CHECK_THAT(ajson, !Catch::Contains("\"features\""));
  auto ar = readers::read_state_json(ajson, "x.json", test::slots());
  REQUIRE(std::holds_alternative<readers::StateInput>(ar));
  const readers::StateInput& ain = std::get<readers::StateInput>(ar);
  CHECK_FALSE(ain.state.has(static_cast<size_t>(readers::find_slot(test::slots(), "cpu.lmsle"))));
  CHECK(ain.state.get(static_cast<size_t>(readers::find_slot(test::slots(), "cpu.smep"))) == 1);
}

TEST_CASE("capture: flavor follows the KVM vendor module", "[capture]") {
  CHECK(capture::flavor_for_backend("kvm_intel") == "vmx");
  CHECK(capture::flavor_for_backend("kvm_amd") == "svm");
  CHECK(capture::flavor_for_backend("kvm_pvm") == "arch");
  CHECK(capture::flavor_for_backend("") == "arch");
}

TEST_CASE("capture: guest programs end with the done port and jump only inside themselves", "[capture]") {
  std::set<std::string> names;
  for (const capture::GuestProgram& p : capture::guest_programs()) {
    INFO(p.name);
    CHECK(names.insert(p.name).second);
    CHECK(capture::find_program(p.name) == &p);
    std::span<const uint8_t> t = p.tail;
    REQUIRE(t.size() >= 5);
    // ... out %al,$0xf4; 1: hlt; jmp 1b
    CHECK(t[t.size() - 5] == 0xE6);
    CHECK(t[t.size() - 4] == capture::kDonePort);
    CHECK(t[t.size() - 3] == 0xF4);
    CHECK(t[t.size() - 2] == 0xEB);
    CHECK(t[t.size() - 1] == 0xFD);
    // A far jump (66 EA imm32 sel16) targets the byte right after itself:
    // the program is loaded at 0x1000, after the 0x7E-byte prologue.
    for (size_t i = 0; i + 8 <= t.size(); ++i) {
      if (t[i] != 0x66 || t[i + 1] != 0xEA) continue;
      uint32_t target;
      std::memcpy(&target, &t[i + 2], 4);
      CHECK(target == 0x1000 + 0x7E + i + 8);
      uint16_t sel = static_cast<uint16_t>(t[i + 6] | (t[i + 7] << 8));
      CHECK((sel == 0x08 || sel == 0x18));
    }
  }
  CHECK(capture::find_program("nope") == nullptr);
  CHECK(capture::program_names() == "real-mode, protected, protected-paging, long-mode-cd");
}

TEST_CASE("capture: acceptance cases have unique names; host deviations name existing cases", "[capture]") {
  std::set<std::string> names;
  size_t pvm = 0;
  for (const capture::AcceptanceCase& c : capture::acceptance_cases()) {
    INFO(c.name);
    CHECK(names.insert(c.name).second);
    CHECK(std::string_view(c.check).substr(0, 5) == "ARCH.");
    pvm += capture::host_deviation("kvm_pvm", c) != nullptr;
    CHECK(capture::host_deviation("kvm_intel", c) == nullptr);
    CHECK(capture::host_deviation("kvm_amd", c) == nullptr);
  }
  CHECK(pvm == 2);
}

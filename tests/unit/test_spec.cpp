// The architectural spec against its sources: the RESET and INIT values of
// SDM Vol.3 Table 9-1 and APM Vol.2 Table 14-1 as KVM gives them, and the INIT
// measured on real KVM (docs/oracles.md, the earlier AMD EPYC measurement).
#include <catch2/catch.hpp>

#include "checker.gen.hpp"
#include "engine/expect_state.hpp"
#include "readers/state_json.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

long slot(const char* name) {
  long id = readers::find_slot(test::slots(), name);
  REQUIRE(id >= 0);
  return id;
}

const rt::StateInfo& state(const char* name) {
  for (size_t i = 0; i < generated::kNumStates; ++i)
    if (std::string(generated::kStates[i].name) == name) return generated::kStates[i];
  FAIL("no state " << name);
  throw;
}

std::vector<rt::ExpectedSlot> expected(const char* name, const rt::State& cfg, const rt::State* prev) {
  std::vector<rt::ExpectedSlot> out(generated::kNumSlots);
  state(name).expected(cfg, prev, out.data());
  return out;
}

}  // namespace

TEST_CASE("spec: RESET values of SDM Table 9-1 as KVM gives them", "[spec]") {
  readers::StateInput cfg = test::full_input();
  cfg.state.set(slot("cpu.signature"), 0x600);
  cfg.state.set(slot("vcpu.bsp"), 1);
  auto e = expected("RESET", cfg.state, nullptr);
  struct Row {
    const char* field;
    uint64_t value;
  } rows[] = {
      {"CR0", 0x60000010}, {"CR2", 0},          {"CR3", 0},         {"CR4", 0},           {"EFER", 0},
      {"RFLAGS", 2},       {"RIP", 0xFFF0},     {"RDX", 0x600},     {"RAX", 0},           {"DR6", 0xFFFF0FF0},
      {"DR7", 0x400},      {"XCR0", 1},         {"APIC_BASE", 0xFEE00900}, {"PAT", 0x0007040600070406},
      {"SMBASE", 0x30000}, {"CS.sel", 0xF000},  {"CS.base", 0xFFFF0000}, {"CS.limit", 0xFFFF}, {"CS.ar", 0x9B},
      {"SS.ar", 0x93},     {"LDTR.ar", 0x82},   {"TR.ar", 0x8B},    {"GDTR.limit", 0xFFFF}, {"IDTR.base", 0},
  };
  for (const Row& r : rows) {
    INFO(r.field);
    const rt::ExpectedSlot& x = e[slot(r.field)];
    CHECK(x.care == rt::mask_of(generated::kSlots[slot(r.field)].width));
    CHECK(x.known == x.care);
    CHECK(x.value == r.value);
  }
  // An AP: no BSP bit.
  cfg.state.set(slot("vcpu.bsp"), 0);
  CHECK(expected("RESET", cfg.state, nullptr)[slot("APIC_BASE")].value == 0xFEE00800);
  // The MTRR default type is undefined at RESET; only E and FE (and reserved bits) are.
  CHECK(e[slot("MTRR_DEF_TYPE")].care == ~0xFFULL);
}

TEST_CASE("spec: INIT reproduces the INIT measured on KVM (docs/oracles.md)", "[spec]") {
  // The 'before' state of the AMD EPYC measurement in docs/oracles.md; the
  // vCPU had no CPUID, so its signature was KVM's 0x600.
  auto r = readers::read_state_json(R"({"cpu": {"maxphyaddr": 48, "signature": "0x600"}, "config": {"vcpu.bsp": true},
    "state": {"CR0": "0x40000011", "CR2": "0x1234", "CR3": "0x5000", "CR4": "0x20", "EFER": "0x0",
              "APIC_BASE": "0xfee00900", "XCR0": "0x7", "PAT": "0x0007040600070406",
              "GDTR": {"base": "0x1000", "limit": "0x7f"}, "IDTR": {"base": "0x2000", "limit": "0x7f"}}})",
                                    "before.json", test::slots());
  REQUIRE(std::holds_alternative<readers::StateInput>(r));
  const readers::StateInput& before = std::get<readers::StateInput>(r);
  auto e = expected("INIT", before.state, &before.state);
  // Measured after INIT: cr0=0x40000010 cr2=0 cr3=0 cr4=0 efer=0 gdt=0/ffff idt=0/ffff
  // cs=f000/ffff0000/ffff rflags=0x2 apic_base=0xfee00900 (kept) rdx=0x600.
  struct Row {
    const char* field;
    uint64_t value;
  } rows[] = {{"CR0", 0x40000010}, {"CR2", 0}, {"CR3", 0}, {"CR4", 0}, {"EFER", 0}, {"GDTR.base", 0},
              {"GDTR.limit", 0xFFFF}, {"IDTR.base", 0}, {"IDTR.limit", 0xFFFF}, {"CS.sel", 0xF000},
              {"CS.base", 0xFFFF0000}, {"CS.limit", 0xFFFF}, {"RFLAGS", 2}, {"APIC_BASE", 0xFEE00900},
              {"RDX", 0x600}, {"XCR0", 7}, {"RIP", 0xFFF0}};
  for (const Row& row : rows) {
    INFO(row.field);
    const rt::ExpectedSlot& x = e[slot(row.field)];
    CHECK((x.known & x.care) == x.care);
    CHECK(x.value == row.value);
  }
}

TEST_CASE("spec: INIT without --before accepts exactly the CD/NW pairs a legal state can hold", "[spec]") {
  const ir::Model& m = *test::builtin_spec().model;
  for (uint64_t cr0 : {0x10ULL, 0x40000010ULL, 0x60000010ULL, 0x20000010ULL, 0x60000011ULL}) {
    readers::StateInput in = test::full_input();
    for (size_t i = 0; i < generated::kNumSlots; ++i) in.state.clear(i);
    in.state.set(slot("CR0"), cr0);
    engine::ExpectOptions o;
    bool used = false;
    smt::ExpectReport rep = engine::expect_state(state("INIT"), test::slots(), in, nullptr, &m, o, &used);
    CHECK(used);
    bool legal_pair = cr0 != 0x20000010 && cr0 != 0x60000011;  // NW without CD, or PE kept
    INFO(std::hex << cr0);
    CHECK((rep.outcome == smt::Outcome::Proved) == legal_pair);
  }
}

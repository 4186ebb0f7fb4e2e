// Front end behaviour that the goldens do not pin down: literal widths,
// precedence, state inheritance, implicit reserved bits, printing.
#include <catch2/catch.hpp>

#include "front/load.hpp"
#include "support/diagnostics.hpp"

using namespace vcpuspec;

namespace {

std::unique_ptr<front::LoadedSpec> load(const std::string& text) {
  return front::load_spec_sources({SourceFile{"t.vspec", text}});
}

const char* kBase = R"(
register CR0 : 64 { PE 0; ET 4; NW 29; CD 30; PG 31; reserved 63:32, 28:19; }
register DR6 : 64 { B0 0; fixed1 31:17; reserved 63:32; }
param cpu.maxphyaddr : 32..52;
feature vcpu.bsp;
)";

}  // namespace

TEST_CASE("front: bit operators bind tighter than comparisons", "[front]") {
  auto s = load(std::string(kBase) +
                "check T.A \"t\" cite \"c\" scope arch assert CR0 & 0x10 == 0x10 && CR0 >> cpu.maxphyaddr == 0;\n");
  REQUIRE(s->model);
  CHECK(ir::print(*s->model, *s->model->checks[0].assertion) == "CR0 & 0x10 == 0x10 && CR0 >> cpu.maxphyaddr == 0");
  std::vector<uint64_t> v(s->model->slots.size(), 0);
  v[0] = 0x10;
  v[*s->model->find_slot("cpu.maxphyaddr")] = 40;
  CHECK(ir::evaluate(*s->model->checks[0].assertion, v, nullptr) == 1);
}

TEST_CASE("front: literals take the width of what they meet", "[front]") {
  auto s = load(std::string(kBase) + "check T.A \"t\" cite \"c\" scope arch assert ~0xF & CR0 != 0 -> CR0.PG;\n");
  REQUIRE(s->model);
  const ir::Expr& a = *s->model->checks[0].assertion;
  CHECK(a.args[0]->args[0]->args[0]->width == 64);  // ~0xF became 64 bits
}

TEST_CASE("front: like, overrides, keep, and implicit reserved/fixed bits", "[front]") {
  auto s = load(std::string(kBase) + R"(
state RESET cite "c" { CR0 = 0x60000010; DR6.B0 = 0; }
state INIT(prev) cite "c" { like RESET; CR0.CD = prev.CR0.CD; keep DR6; }
)");
  REQUIRE(s->model);
  const ir::StateDef* reset = s->model->find_state("RESET");
  const ir::StateDef* init = s->model->find_state("INIT");
  REQUIRE(reset);
  REQUIRE(init);
  // DR6: B0 assigned; reserved 63:32 -> 0 and fixed-1 31:17 -> 1 implicitly; 16:1 stay free.
  const ir::SlotInit& dr6 = *reset->init[1];
  CHECK(dr6.care_mask() == (0xFFFFFFFF00000000ULL | 0xFFFE0000ULL | 1));
  std::vector<uint64_t> none(s->model->slots.size(), 0);
  uint64_t value = 0;
  for (const ir::Piece& p : dr6.pieces) value |= ir::evaluate(*p.value, none, nullptr) << p.lo;
  CHECK(value == 0xFFFE0000ULL);
  // INIT: CR0 split around the overridden CD bit.
  const ir::SlotInit& cr0 = *init->init[0];
  CHECK(cr0.care_mask() == ~0ULL);
  CHECK(cr0.pieces.size() == 3);
  std::vector<uint64_t> prev(s->model->slots.size(), 0);
  prev[0] = 0x40000011;
  uint64_t got = 0;
  for (const ir::Piece& p : cr0.pieces) got |= ir::evaluate(*p.value, none, &prev) << p.lo;
  CHECK(got == 0x60000010);  // NW from RESET (1), CD from prev (1)
}

TEST_CASE("front: several errors are reported in one run, in source order", "[front]") {
  auto s = load(std::string(kBase) + R"(
check A.B "t" cite "c" scope arch assert CR0.PGX;
check A.C "t" scope arch assert CR9 == 0;
check A.B "t" cite "c" scope arch assert CR0.PG;
)");
  CHECK_FALSE(s->model);
  auto d = s->diags.sorted();
  REQUIRE(d.size() >= 4);
  std::string all = render_all(s->sources, s->diags);
  CHECK_THAT(all, Catch::Contains("has no field 'PGX'; did you mean 'PG'?"));
  CHECK_THAT(all, Catch::Contains("has no citation"));
  CHECK_THAT(all, Catch::Contains("unknown name 'CR9'"));
  CHECK_THAT(all, Catch::Contains("duplicate check id 'A.B'"));
  for (size_t i = 1; i < d.size(); ++i) CHECK(d[i - 1].loc.line <= d[i].loc.line);
}

TEST_CASE("front: a diagnostic is one line, then the source line and a caret", "[front]") {
  auto s = load("register CR0 : 64;\ncheck A.B \"t\" cite \"c\" scope arch\n  assert CR0.PG;\n");
  REQUIRE_FALSE(s->model);
  std::string r = render_all(s->sources, s->diags);
  CHECK(r == "t.vspec:3:14: error: register 'CR0' has no field 'PG'\n    assert CR0.PG;\n               ^\n");
}

TEST_CASE("front: hexadecimal and binary prefixes in either case", "[front]") {
  auto s = load(std::string(kBase) + "check T.A \"t\" cite \"c\" scope arch assert CR0 & 0X1F == 0b10000 && CR0[31] == 0B1;\n");
  REQUIRE(s->model);
  CHECK(ir::print(*s->model, *s->model->checks[0].assertion) == "CR0 & 0x1f == 0x10 && CR0.PG == 1");
}

TEST_CASE("front: a VMM's state names the state it is for, and only it classifies differences", "[front]") {
  const std::string base = std::string(kBase) + R"(
state RESET "r" cite "t" { CR0 = 0x60000010; DR6 = 0xFFFF0FF0; }
state INIT(prev) "i" cite "t" { like RESET; keep CR0.CD, CR0.NW; }
)";
  auto ok = load(base + R"(
state v.RESET for RESET "v" cite "t" { like RESET; CR0 = 0x10 differs harmless "why" cite "c"; }
state v.INIT(prev) for INIT "v" cite "t" { like v.RESET; keep CR0.CD; CR0.NW = 0 differs discrepancy "cleared"; }
)");
  INFO(render_all(ok->sources, ok->diags));
  REQUIRE(ok->model);
  const ir::StateDef* vi = ok->model->find_state("v.INIT");
  REQUIRE(vi);
  CHECK(vi->for_state == "INIT");
  CHECK(vi->vmm == "v");
  // CR0's classification came with `like`, and the two items of v.INIT replaced it on CD and NW.
  REQUIRE(vi->classified.size() == 2);
  CHECK(vi->classified[0].inherited);
  CHECK(vi->classified[1].kind == ir::DiffersKind::Discrepancy);

  auto bad = load(base + R"(
state w.RESET "no for" cite "t" { like RESET; }
state x.RESET for NOPE "x" cite "t" { like RESET; }
state y.RESET for INIT "y" cite "t" { like RESET; }
state z.RESET for RESET "z" cite "t" { like RESET; CR0 = 0x10 differs harmles "typo"; DR6 = 0 differs intentional "no cite"; }
state Q for RESET "q" cite "t" { like RESET; }
state R2 "r2" cite "t" { like RESET; CR0 = 0 differs harmless "not a vmm"; }
)");
  CHECK_FALSE(bad->model);
  std::string text = render_all(bad->sources, bad->diags);
  CHECK_THAT(text, Catch::Contains("state 'w.RESET': a dotted name is a VMM's state; say which state it is for: `state w.RESET for RESET`"));
  CHECK_THAT(text, Catch::Contains("unknown state 'NOPE'"));
  CHECK_THAT(text, Catch::Contains("state 'y.RESET' is for INIT, which takes a previous state: declare it as `state y.RESET(prev)`"));
  CHECK_THAT(text, Catch::Contains("unknown kind of difference 'harmles'; did you mean 'harmless'?"));
  CHECK_THAT(text, Catch::Contains("`differs intentional` cites where the VMM says so"));
  CHECK_THAT(text, Catch::Contains("state 'Q' is for RESET, so it is a VMM's: name it after the VMM, as in `state qemu.Q for RESET`"));
  CHECK_THAT(text, Catch::Contains("`differs` classifies how a VMM's state departs from the state it is for; state 'R2' is for none"));
}

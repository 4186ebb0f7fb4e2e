// `with` blocks, `forall` families and typed def parameters: what they expand
// to, checked on the resolved model (the goldens pin down their errors).
#include <catch2/catch.hpp>

#include "front/load.hpp"
#include "support/diagnostics.hpp"

using namespace vcpuspec;

namespace {

std::unique_ptr<front::LoadedSpec> load(const std::string& text) {
  return front::load_spec_sources({SourceFile{"t.vspec", text}});
}

const char* kBase = R"(
register CR0 : 64 { PE 0; WP 16; PG 31; reserved 63:32; }
register RFLAGS : 64 { VM 17; fixed1 1; }
struct Segment { sel : 16 { RPL 1:0; } base : 64; ar : 32 { type 3:0; S 4; P 7; unusable 16; } }
struct DescriptorTable { base : 64; limit : 32; }
segment CS, SS, DS, ES : Segment;
dtable GDTR : DescriptorTable;
feature vmx.ug;
)";

const ir::Check& check(const ir::Model& m, const std::string& id) {
  for (const ir::Check& c : m.checks)
    if (c.id == id) return c;
  FAIL("no check " << id);
  return m.checks.front();
}

// The diagnostics of a spec that must be refused.
std::string errors(const std::string& spec) {
  auto s = load(std::string(kBase) + spec);
  CHECK_FALSE(s->model);
  return render_all(s->sources, s->diags);
}

std::string when_of(const ir::Model& m, const std::string& id) {
  const ir::Check& c = check(m, id);
  return c.when ? ir::print(m, *c.when) : "";
}

}  // namespace

TEST_CASE("blocks: `with` gives scope, when and cite to the declarations inside", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
with scope vmx, cite "SDM 27.3.1.2" {
  check T.A "a" assert CR0.PG -> CR0.PE;
  check T.B "b" cite "own" scope arch when vmx.ug assert CR0.WP;
  with when !RFLAGS.VM, cite "inner" {
    check T.C "c" cite "own" when vmx.ug assert CR0.PE;
  }
}
check T.D "d" cite "alone" scope arch assert CR0.PE;
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  CHECK(check(m, "T.A").scope == "vmx");
  CHECK(check(m, "T.A").cite == "SDM 27.3.1.2");
  CHECK_FALSE(check(m, "T.A").when);
  CHECK(check(m, "T.B").scope == "arch");  // its own scope wins
  CHECK(check(m, "T.B").cite == "SDM 27.3.1.2; own");
  CHECK(when_of(m, "T.B") == "vmx.ug");
  CHECK(check(m, "T.C").scope == "vmx");
  CHECK(check(m, "T.C").cite == "SDM 27.3.1.2; inner; own");  // outer first, its own last
  CHECK(when_of(m, "T.C") == "!RFLAGS.VM && vmx.ug");
  CHECK(check(m, "T.D").cite == "alone");  // nothing leaks out of a block
  CHECK(check(m, "T.D").scope == "arch");
}

TEST_CASE("blocks: `forall` declares one check per member with the member in its id, names and strings",
          "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
with scope vmx, cite "SDM" {
  forall S in {DS, ES} {
    check T.S.P "a usable {S} is present" cite "row {S}" assert !S.ar.unusable -> S.ar.P;
    check T.SEG.S.RPL "{S} RPL" when S.ar.P overlaps T.S.P assert S.sel.RPL == CS.sel.RPL;
  }
}
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  std::vector<std::string> ids;
  for (const ir::Check& c : m.checks) ids.push_back(c.id);
  // Member by member, in the order written inside the block.
  CHECK(ids == std::vector<std::string>{"T.DS.P", "T.SEG.DS.RPL", "T.ES.P", "T.SEG.ES.RPL"});
  CHECK(check(m, "T.ES.P").text == "a usable ES is present");
  CHECK(check(m, "T.ES.P").cite == "SDM; row ES");
  CHECK(ir::print(m, *check(m, "T.ES.P").assertion) == "!ES.ar.unusable -> ES.ar.P");
  CHECK(when_of(m, "T.SEG.DS.RPL") == "DS.ar.P");
  CHECK(check(m, "T.SEG.DS.RPL").overlaps == std::vector<std::string>{"T.DS.P"});
}

TEST_CASE("blocks: a `forall` expression is the conjunction written out by hand", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
def usable(s : Segment) = !s.ar.unusable;
check T.A "a" cite "c" scope vmx assert CS.ar.S && (forall S in {SS, DS, ES}: usable(S) -> S.ar.S);
check T.B "b" cite "c" scope vmx assert forall S in {DS, ES}: forall T in {CS, SS}: S.sel.RPL <= T.sel.RPL;
check T.C "c" cite "c" scope vmx
  assert (!DS.ar.unusable -> DS.ar.S) && (!ES.ar.unusable -> ES.ar.S);
check T.D "d" cite "c" scope vmx assert forall S in {DS, ES}: usable(S) -> S.ar.S;
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  CHECK(ir::print(m, *check(m, "T.A").assertion) ==
        "CS.ar.S && ((!SS.ar.unusable -> SS.ar.S) && (!DS.ar.unusable -> DS.ar.S) && (!ES.ar.unusable -> ES.ar.S))");
  CHECK(ir::print(m, *check(m, "T.B").assertion) ==
        "DS.sel.RPL <= CS.sel.RPL && DS.sel.RPL <= SS.sel.RPL && (ES.sel.RPL <= CS.sel.RPL && ES.sel.RPL <= SS.sel.RPL)");
  // The same tree as the hand-written conjunction.
  CHECK(ir::print(m, *check(m, "T.C").assertion) == ir::print(m, *check(m, "T.D").assertion));
  std::vector<uint64_t> v(m.slots.size(), 0);
  for (uint64_t ds : {0u, 0x10u, 0x10000u})
    for (uint64_t es : {0u, 0x10u, 0x10000u}) {
      v[*m.find_slot("DS.ar")] = ds;
      v[*m.find_slot("ES.ar")] = es;
      CHECK(ir::evaluate(*check(m, "T.C").assertion, v, nullptr) ==
            ir::evaluate(*check(m, "T.D").assertion, v, nullptr));
    }
}

TEST_CASE("blocks: nested `forall` and `with` inside `forall`", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
forall A in {DS, ES} {
  forall B in {CS, SS} {
    with scope vmx, when A.ar.P, cite "c {A}/{B}" {
      check T.A.B "{A} and {B}" assert A.sel.RPL == B.sel.RPL;
    }
  }
}
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  REQUIRE(m.checks.size() == 4);
  CHECK(m.checks[1].id == "T.DS.SS");
  CHECK(m.checks[1].cite == "c DS/SS");
  CHECK(when_of(m, "T.ES.CS") == "ES.ar.P");
  CHECK(ir::print(m, *check(m, "T.ES.CS").assertion) == "ES.sel.RPL == CS.sel.RPL");
}

TEST_CASE("blocks: a def over a segment register, and one over a register's fields", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
def usable(s : Segment) "the register is usable" = !s.ar.unusable;
def same_rpl(a : Segment, b : Segment) = a.sel.RPL == b.sel.RPL;
def pg_pe(v : CR0) = v.PG -> v.PE;
check T.A "a" cite "c" scope vmx assert usable(DS) -> DS.ar.P;
check T.B "b" cite "c" scope vmx assert usable(ES) && same_rpl(CS, SS) && pg_pe(CR0);
check T.C "c" cite "c" scope vmx assert !DS.ar.unusable -> DS.ar.P;
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  // A segment def is expanded where it is called: the same IR as written out.
  CHECK(ir::print(m, *check(m, "T.A").assertion) == ir::print(m, *check(m, "T.C").assertion));
  CHECK(ir::print(m, *check(m, "T.B").assertion) == "!ES.ar.unusable && CS.sel.RPL == SS.sel.RPL && pg_pe(CR0)");
  std::vector<uint64_t> v(m.slots.size(), 0);
  v[*m.find_slot("CR0")] = 0x80000000;  // PG without PE
  CHECK(ir::evaluate(*check(m, "T.B").assertion, v, nullptr) == 0);
  v[*m.find_slot("CR0")] = 0x80000001;
  CHECK(ir::evaluate(*check(m, "T.B").assertion, v, nullptr) == 1);
  v[*m.find_slot("SS.sel")] = 3;
  CHECK(ir::evaluate(*check(m, "T.B").assertion, v, nullptr) == 0);
  // No "never used" warning for a def used only through its segments.
  CHECK_THAT(render_all(s->sources, s->diags), !Catch::Contains("def '"));
}

TEST_CASE("blocks: errors name what went wrong where it was written", "[front][blocks]") {
  CHECK_THAT(errors("forall S in {DS, ES} { check T.X \"x\" cite \"c\" scope vmx assert S.ar.P; }\n"),
             Catch::Contains("the id 'T.X' does not contain 'S'"));
  CHECK_THAT(errors("forall S in {DS, DS} { check T.S \"x\" cite \"c\" scope vmx assert S.ar.P; }\n"),
             Catch::Contains("'DS' is listed twice"));
  CHECK_THAT(errors("forall S in {DS} { forall S in {ES} { check T.S \"x\" cite \"c\" scope vmx assert S.ar.P; } }\n"),
             Catch::Contains("'S' is already the variable of an enclosing `forall`"));
  CHECK_THAT(errors("forall S in {DS} { feature f.S; }\n"), Catch::Contains("only checks, nonchecks"));
  CHECK_THAT(errors("with when CR0.PE { feature f.x; check T.A \"x\" cite \"c\" scope vmx assert f.x; }\n"
                    "with scope arch { op o() cite \"c\" { } }\n"),
             Catch::Contains("this `scope` applies to no declaration"));
  CHECK_THAT(errors("def u(s : Segment) = !s.ar.unusable;\n"
                    "check T.A \"a\" cite \"c\" scope vmx assert u(GDTR);\n"),
             Catch::Contains("argument 's' of 'u' is a register of struct Segment (CS, SS, DS, ES), not 'GDTR'"));
  CHECK_THAT(errors("def u(v : CR0) = v.PX;\ncheck T.A \"a\" cite \"c\" scope vmx assert u(CR0);\n"),
             Catch::Contains("parameter 'v' has no field 'PX'"));
  CHECK_THAT(errors("def u(v : Nope) = v;\ncheck T.A \"a\" cite \"c\" scope vmx assert u(CR0) == 0;\n"),
             Catch::Contains("unknown type 'Nope'"));
  CHECK_THAT(errors("def u(s : Segment, x : 1) = s.ar.P || x;\ncheck T.A \"a\" cite \"c\" scope vmx assert u(CS, 1);\n"),
             Catch::Contains("def 'u' takes a segment register, so every parameter must be one: 'x' is not"));
  CHECK_THAT(errors("def u(s : Segment) = u(s);\ncheck T.A \"a\" cite \"c\" scope vmx assert u(CS);\n"),
             Catch::Contains("def 'u' calls itself"));
}

TEST_CASE("blocks: nested `forall`s that would multiply without end are refused", "[front][blocks]") {
  // 8 levels of 10 members: 10^8 copies of the body.
  std::string members = "{CS, SS, DS, ES, CS.sel, SS.sel, DS.sel, ES.sel, CS.ar, SS.ar}";
  std::string body = "true";
  for (int i = 0; i < 8; ++i) body = "forall V" + std::to_string(i) + " in " + members + ": " + body;
  auto s = load(std::string(kBase) + "check T.A \"a\" cite \"c\" scope vmx assert " + body + ";\n");
  CHECK_FALSE(s->model);
  CHECK_THAT(render_all(s->sources, s->diags), Catch::Contains("`forall` expands to more than 2000000 tokens"));
}

TEST_CASE("blocks: a control word declares its bits as controls, and reads as the word they make", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
param vmx.allowed1 : 32;
control entry : 32 "VM-entry controls" {
  load_debug 2 "load DR7";
  ia32e 9 = vmx.ug "IA-32e mode guest";
}
control : 64 at 0x090 "VMCB nested_ctl" { np_enable 0 "NP_ENABLE"; }
check T.A "a" cite "c" scope vmx assert (entry & ~vmx.allowed1) == 0 && declared(entry) == 0x204;
check T.B "b" cite "c" scope vmx assert np_enable -> entry.load_debug;
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  REQUIRE(m.control_words.size() == 2);
  const ir::ControlWord& w = m.control_words[0];
  CHECK(w.name == "entry");
  REQUIRE(w.bits.size() == 2);
  CHECK(m.slot(w.bits[1].first).name == "entry.ia32e");
  CHECK(w.bits[1].second == 9);
  CHECK(m.slot(w.bits[1].first).default_from == m.find_slot("vmx.ug"));  // a bit takes a default like any control
  CHECK(m.control_words[1].offset == 0x90);
  CHECK(m.slot(*m.find_slot("np_enable")).bit == 0);  // a name without a word: as written
  std::vector<uint64_t> v(m.slots.size(), 0);
  v[*m.find_slot("entry.ia32e")] = 1;
  v[*m.find_slot("vmx.allowed1")] = 0x200;
  CHECK(ir::evaluate(*check(m, "T.A").assertion, v, nullptr) == 1);
  v[*m.find_slot("entry.load_debug")] = 1;  // bit 2 not allowed
  CHECK(ir::evaluate(*check(m, "T.A").assertion, v, nullptr) == 0);

  CHECK_THAT(errors("control w : 8 { a 8; }\ncheck T.A \"a\" cite \"c\" scope vmx assert w.a;\n"),
             Catch::Contains("bit 8 of 'w.a' is outside its 8-bit word"));
  CHECK_THAT(errors("control w : 8 { a 1; b 1; }\ncheck T.A \"a\" cite \"c\" scope vmx assert w.a && w.b;\n"),
             Catch::Contains("bit 1 of the word is already 'w.a'"));
  CHECK_THAT(errors("control : 32 { a 1; }\ncheck T.A \"a\" cite \"c\" scope vmx assert a;\n"),
             Catch::Contains("a control word without a name needs its VMCB offset"));
  CHECK_THAT(errors("control : 32 at 0x10 { a 1; }\ncontrol : 32 at 0x10 { b 1; }\n"
                    "check T.A \"a\" cite \"c\" scope vmx assert a && b;\n"),
             Catch::Contains("VMCB offset 0x10 is already the word declared at line"));
  CHECK_THAT(errors("check T.A \"a\" cite \"c\" scope vmx assert declared(CR0) == 0;\n"),
             Catch::Contains("declared takes one control word"));
}

TEST_CASE("blocks: a named word has its other bits, and `activates` names the word a bit gates", "[front][blocks]") {
  auto s = load(std::string(kBase) + R"(
control primary : 32 "primary" { activate_secondary 31 "activate secondary controls" activates secondary; }
control secondary : 32 "secondary" { ept 1 "enable EPT"; }
check T.A "a" cite "c" scope vmx assert primary == 0x80000000 && secondary.ept;
)");
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Model& m = *s->model;
  // `primary` is its named bit and primary.other_bits: the whole field.
  REQUIRE(m.find_slot("primary.other_bits"));
  CHECK(m.slot(*m.find_slot("primary.other_bits")).width == 32);
  CHECK(m.slot(*m.find_slot("primary.activate_secondary")).activates == 1);  // the index of `secondary`
  std::vector<uint64_t> v(m.slots.size(), 0);
  v[*m.find_slot("primary.activate_secondary")] = 1;
  v[*m.find_slot("secondary.ept")] = 1;
  v[*m.find_slot("primary.other_bits")] = 0x80000000;  // the named bit's place in the other bits is ignored
  CHECK(ir::evaluate(*check(m, "T.A").assertion, v, nullptr) == 1);
  v[*m.find_slot("primary.other_bits")] = 0x4;
  CHECK(ir::evaluate(*check(m, "T.A").assertion, v, nullptr) == 0);

  CHECK_THAT(errors("control w : 8 { a 1 \"a\" activates CR0; }\ncheck T.A \"a\" cite \"c\" scope vmx assert w.a;\n"),
             Catch::Contains("'CR0' is not a named control word: `activates` names the word"));
  CHECK_THAT(errors("control w : 8 { a 1 \"a\" activates w; }\ncheck T.A \"a\" cite \"c\" scope vmx assert w.a;\n"),
             Catch::Contains("'w.a' cannot gate its own word"));
}

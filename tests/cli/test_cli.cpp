// The vcpuspec binary as users run it: exit codes, outputs, errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/helpers.hpp"

using namespace vcpuspec;
using test::run_cli;

namespace {
const std::string kReset = "docs/examples/kvm_reset_bsp.json";
const std::string kBroken = "docs/examples/stale_lma_after_init.json";
}  // namespace

TEST_CASE("cli: prove proves the RESET/INIT obligations", "[cli]") {
  auto r = run_cli({"prove", "--state", "RESET", "--state", "INIT"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("proved  RESET satisfies every architectural check"));
  CHECK_THAT(r.out, Catch::Contains("INIT(INIT(s)) = INIT(s)"));
  CHECK_THAT(r.out, Catch::Contains(" 0 failed, 0 unknown"));
  auto j = nlohmann::json::parse(run_cli({"prove", "--json"}).out);
  CHECK(j["schema"] == "vcpuspec.prove/1");
  CHECK(j["obligations"].size() > 50);
  for (auto& ob : j["obligations"]) CHECK(ob["outcome"] == "proved");
  // The whole run includes the 5.10 flows, whose hazards are counterexamples.
  CHECK(j["exit_code"] == 1);
}

TEST_CASE("cli: prove finds a broken spec and prints a counterexample table", "[cli]") {
  std::string dir = "/tmp/vcpuspec_test_broken_spec";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(test::source_dir() + "/spec/arch", dir);
  std::string reset = test::read_text(dir + "/reset.vspec");
  auto at = reset.find("CR0.NW = prev.CR0.NW;");
  REQUIRE(at != std::string::npos);
  reset.replace(at, 21, "CR0.NW = 1;");
  { std::ofstream(dir + "/reset.vspec") << reset; }
  auto r = run_cli({"prove", dir});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAILED  INIT(prev) satisfies ARCH.CR0.NW_NEEDS_CD for every legal prev"));
  CHECK_THAT(r.out, Catch::Contains("counterexample:"));
  CHECK_THAT(r.out, Catch::Contains("INIT  CR0    0x20000010"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: lint of the shipped spec is clean", "[cli]") {
  auto r = run_cli({"lint"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("0 errors, 0 warnings"));
  auto j = nlohmann::json::parse(run_cli({"lint", "--json"}).out);
  CHECK(j["schema"] == "vcpuspec.lint/1");
  for (auto& c : j["checks"]) {
    CHECK(c["can_pass"] == true);
    CHECK(c["can_fail"] == true);
  }
}

TEST_CASE("cli: lint counts the spec's own warnings as findings", "[cli]") {
  std::string path = test::write_temp_file("vcpuspec_test_lint_unused.vspec",
                                          "register CR0 : 64 { PE 0; PG 31; }\n"
                                          "control unused_ctl : 8 \"read by no check\";\n"
                                          "check A.PG \"pg needs pe\" cite \"c\" scope arch assert CR0.PG -> CR0.PE;\n");
  auto r = run_cli({"lint", path});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("control 'unused_ctl' is never used"));
  CHECK_THAT(r.out, Catch::Contains("0 errors, 1 warnings"));
  CHECK(r.err.empty());  // said once, as a finding
  auto j = nlohmann::json::parse(run_cli({"lint", path, "--json"}).out);
  bool found = false;
  for (const auto& f : j["findings"]) found |= f["rule"] == "spec";
  CHECK(found);
  std::filesystem::remove(path);
}

TEST_CASE("cli: lint flags a redundant check and a vacuous one", "[cli]") {
  std::string path = test::write_temp_file(
      "vcpuspec_test_lint.vspec",
      "register CR0 : 64 { PE 0; NW 29; CD 30; PG 31; }\n"
      "check A.NW \"nw needs cd\" cite \"c\" scope arch assert CR0.NW -> CR0.CD;\n"
      "check A.NW2 \"same again\" cite \"c\" scope arch assert !(CR0.NW && !CR0.CD);\n"
      "check A.TAUT \"always true\" cite \"c\" scope arch assert CR0.PE || !CR0.PE;\n"
      "check A.NEVER \"never applies\" cite \"c\" scope arch when CR0.PG && !CR0.PG assert CR0.PE;\n");
  auto r = run_cli({"lint", path});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("check 'A.NW' is implied by A.NW2"));
  CHECK_THAT(r.out, Catch::Contains("check 'A.TAUT' can never fail"));
  CHECK_THAT(r.out, Catch::Contains("check 'A.NEVER' never applies"));
  CHECK_THAT(r.out, Catch::Contains(path + ":2:7: warning:"));
}

TEST_CASE("cli: check a real KVM RESET state: clean, equal to RESET", "[cli]") {
  auto r = run_cli({"check", kReset, "--expect", "reset"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("checks: 0 fail, 0 unknown, 32 pass"));
  CHECK_THAT(r.out, Catch::Contains("expect RESET: equal"));
  CHECK(r.err.empty());
}

TEST_CASE("cli: check a broken state: each finding names check, field, value, expected, citation", "[cli]") {
  auto r = run_cli({"check", kBroken, "--expect", "init"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL    ARCH.LM.CONSISTENT: EFER.LMA equals EFER.LME && CR0.PG"));
  CHECK_THAT(r.out, Catch::Contains("EFER.LMA = 1, expected == (EFER.LME && CR0.PG) = 0"));
  CHECK_THAT(r.out, Catch::Contains("CR4.PAE = 0, expected 1 (required because EFER.LMA)"));
  CHECK_THAT(r.out, Catch::Contains("cite: SDM Vol.3 9.8.5"));
  CHECK_THAT(r.out, Catch::Contains("MISMATCH INIT GDTR.base = 0xfffffe0000001000, expected 0"));
  CHECK_THAT(r.out, Catch::Contains("MISMATCH INIT EFER = 0x500, expected 0"));
  // Fields the input does not show are never reported as equal.
  CHECK_THAT(r.out, Catch::Contains("not compared (not in the input): FCW, FSW, FTW, MXCSR, ACTIVITY_STATE, SMM, INTERRUPTIBILITY, "
                                    "PENDING_DBG, PDPTE0, PDPTE1, PDPTE2, PDPTE3, SSP, RAX"));
  auto j = nlohmann::json::parse(run_cli({"check", kBroken, "--expect", "init", "--json"}).out);
  CHECK(j["schema"] == "vcpuspec.check/1");
  CHECK(j["exit_code"] == 1);
  bool found = false;
  for (auto& c : j["inputs"][0]["checks"]) {
    if (c["id"] != "ARCH.CR4.PAE_IN_LM") continue;
    found = true;
    CHECK(c["verdict"] == "fail");
    CHECK(c["facts"][0]["field"] == "CR4.PAE");
    CHECK(c["facts"][0]["value"] == "0");
    CHECK(c["facts"][0]["expected"] == "1");
    CHECK(c["cite"].get<std::string>().find("SDM") != std::string::npos);
  }
  CHECK(found);
}

TEST_CASE("cli: missing inputs give unknown, never pass (exit 4)", "[cli]") {
  auto r = run_cli({"check", "-"}, R"({"state": {"CR0": "0x60000010"}})");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.out, Catch::Contains("== <stdin>"));
  // A check that reads CR0 and something missing is listed with what it lacks;
  // one that reads nothing the input shows joins the one-line list.
  CHECK_THAT(r.out, Catch::Contains("UNKNOWN ARCH.CR0.WP_CET: CR4.CET=1 requires CR0.WP=1\n"
                                    "        not decidable without: CR4\n"));
  CHECK_THAT(r.out, Catch::Contains(" more: the input shows none of the state or control fields they read"));
  CHECK_THAT(r.out, Catch::Contains("ARCH.CR4.PAE_IN_LM"));
  CHECK_THAT(r.out, !Catch::Contains("UNKNOWN ARCH.CR4.PAE_IN_LM"));
  auto v = run_cli({"check", "-", "--verbose"}, R"({"state": {"CR0": "0x60000010"}})");
  CHECK_THAT(v.out, Catch::Contains("UNKNOWN ARCH.CR4.PAE_IN_LM"));
  CHECK_THAT(v.out, Catch::Contains("not decidable without: CR4, EFER"));
  // --set fills configuration the dump lacks and the report says so.
  auto s = run_cli({"check", "-", "--set", "cpu.maxphyaddr=39", "--check", "ARCH.CR3.PA"},
                   R"({"state": {"CR3": "0x8000000000"}})");
  CHECK(s.exit_code == 1);
  CHECK_THAT(s.out, Catch::Contains("set: cpu.maxphyaddr=39"));
  CHECK_THAT(s.out, Catch::Contains("FAIL    ARCH.CR3.PA"));
}

TEST_CASE("cli: --expect init infers configuration and accepts any legal prev", "[cli]") {
  auto r = run_cli({"check", "-", "--expect", "init", "--check", "ARCH.CR0.ET"},
                   R"({"state": {"CR0": "0x40000010", "APIC_BASE": "0xfee00900", "RDX": "0x600"}})");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("expect INIT: equal"));
  CHECK_THAT(r.out, Catch::Contains("decided with Z3"));
  auto bad = run_cli({"check", "-", "--expect", "init", "--check", "ARCH.CR0.ET"},
                     R"({"state": {"CR0": "0x20000010"}})");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.out, Catch::Contains("MISMATCH INIT CR0 = 0x20000010, expected one of {"));
}

TEST_CASE("cli: bad inputs are one positioned error, exit 3, no results", "[cli]") {
  struct Case {
    std::string stdin_text;
    std::string error;
  } cases[] = {
      {"", "<stdin>: error: empty input"},
      {"CR0=0x10", "<stdin>:1:1: error: cannot detect the input format"},
      {"{\"state\": {\"CR0\": \"0x1\",}}", "<stdin>:1:25: error: invalid JSON: expected a quoted key"},
      {"{\"state\": {\"CR0\": \"0xZZ\"}}", "<stdin>:1:19: error: \"CR0\": '0xZZ' is not a non-negative integer"},
      {"{\"state\": {\"CS\": {\"sel\": \"0x10000\"}}}", "<stdin>:1:26: error: \"CS.sel\": value 0x10000 does not fit"},
      {"{\"state\": {\"XCR1\": 0}}", "<stdin>:1:12: error: unknown state field \"XCR1\" (did you mean 'XCR0'?)"},
      {std::string("{\"source\": \"\xff\"}"), "<stdin>:1:13: error: invalid JSON: invalid UTF-8"},
  };
  for (const Case& c : cases) {
    INFO(c.stdin_text);
    auto r = run_cli({"check", "-"}, c.stdin_text);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.rfind(c.error, 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  auto missing = run_cli({"check", "/nonexistent/state.json"});
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent/state.json: error: cannot read: No such file or directory"));
}

TEST_CASE("cli: usage errors exit 2 with one line", "[cli]") {
  std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"check"},
      {"check", kReset, "--bogus"},
      {"check", kReset, "--expect", "sleep"},
      {"check", kReset, "--before", kReset},
      {"check", kReset, "--set", "cpu.maxphyaddr=99"},
      {"check", kReset, "--set", "CR0=1"},
      {"check", kReset, "--set", "nonsense"},
      {"check", kReset, "--flavor", "arm"},
      {"check", kReset, "--format", "xml"},
      {"check", kReset, "--batch", "--sarif"},
      {"check", kReset, "--check", "ARCH.NOPE"},
      {"explain", "ARCH.NOPE"},
      {"prove", "--state", "SLEEP"},
      {"prove", "--flow", "nope.*"},
      {"prove", "--property", "H99"},
      {"prove", "--report", "html"},
      {"prove", "--state", "RESET", "--flow", "*"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    INFO(shown);
    auto r = run_cli(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("vcpuspec: error: ", 0) == 0);
  }
}

TEST_CASE("cli: a bad spec gives file:line:col diagnostics and exit 3", "[cli]") {
  auto r = run_cli({"lint", "tests/golden/diagnostics/unknown_field.vspec"});
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("tests/golden/diagnostics/unknown_field.vspec:3:14: error: register 'CR0' has no field 'PGX'", 0) == 0);
  auto p = run_cli({"prove", "tests/golden/diagnostics/many_errors.vspec"});
  CHECK(p.exit_code == 3);
  CHECK(std::count(p.err.begin(), p.err.end(), '^') >= 4);  // several errors, one run
}

TEST_CASE("cli: a Z3 query over its resource limit is unknown, never proved (exit 4)", "[cli]") {
  auto r = run_cli({"prove", "--rlimit", "1"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.out, Catch::Contains("UNKNOWN"));
  CHECK_THAT(r.out, Catch::Contains("0 proved"));
  auto l = run_cli({"lint", "--rlimit", "1"});
  CHECK(l.exit_code == 4);
  // Flow properties too, each named with its flow.
  auto f = run_cli({"prove", "--flow", "kvm_5_10.vcpu_reset_vmx", "--rlimit", "1"});
  CHECK(f.exit_code == 4);
  CHECK_THAT(f.out, Catch::Contains("UNKNOWN H3.LMA_FROM_OLD_CR0: "));
  CHECK_THAT(f.out, Catch::Contains("reason: max. resource limit exceeded"));
  CHECK_THAT(f.out, Catch::Contains("0 proved, 0 failed, 21 unknown"));
}

TEST_CASE("cli: explain shows text, predicate and citation", "[cli]") {
  auto r = run_cli({"explain", "ARCH.LM.CONSISTENT"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("assert:    EFER.LMA == (EFER.LME && CR0.PG)"));
  CHECK_THAT(r.out, Catch::Contains("question:  architecture: a failure means no CPU is in this state by itself"));
  CHECK_THAT(run_cli({"explain", "VMX.GS.CR0.PG_NEEDS_PE"}).out,
             Catch::Contains("question:  entry: a failure means the VM entry or VMRUN would fail"));
  CHECK_THAT(run_cli({"explain", "ARCH.CR0.VMX_FIXED"}).out, Catch::Contains("question:  architecture"));
  CHECK_THAT(r.out, Catch::Contains("cite:      SDM Vol.3 9.8.5"));
  auto l = run_cli({"explain", "--list", "--scope", "arch"});
  CHECK(l.exit_code == 0);
  // 34 checks, 10 transitions, 1 noncheck, 11 modes, 13 instructions and signals: two lines each
  CHECK(std::count(l.out.begin(), l.out.end(), '\n') == 138);
  CHECK_THAT(l.out, Catch::Contains("SIPI  [signal]  SIPI"));
}

TEST_CASE("cli: explain shows a mode's predicate and an instruction's program", "[cli]") {
  auto i = run_cli({"explain", "MOV_CR0"});
  CHECK(i.exit_code == 0);
  CHECK_THAT(i.out, Catch::Contains("kind:      instruction, a write of the mode machine"));
  CHECK_THAT(i.out, Catch::Contains("on:        CR0 (the write rules on these apply)"));
  CHECK_THAT(i.out, Catch::Contains("2. CR0 := any\n    3. EFER.LMA := CR0.PG && EFER.LME"));
  auto w = run_cli({"explain", "WRMSR_EFER"});
  CHECK_THAT(w.out, Catch::Contains("3. EFER.LMA := old.EFER.LMA"));
  // `forall S in {DS, ES, FS, GS, SS} { S := {...}; }` is one statement per member.
  auto smi = run_cli({"explain", "SMI"});
  CHECK_THAT(smi.out, Catch::Contains("13. DS := { ... }\n    14. ES := { ... }"));
  CHECK_THAT(smi.out, Catch::Contains("17. SS := { ... }\n    18. IDTR := { ... }"));
  auto m = run_cli({"explain", "MODE.LONG64"});
  CHECK(m.exit_code == 0);
  CHECK_THAT(m.out, Catch::Contains("holds:     !SMM && ACTIVITY_STATE <= 1 && EFER.LMA && CS.ar.L"));
}

TEST_CASE("cli: explain shows a transition: what write it governs, its predicate over old and new", "[cli]") {
  auto r = run_cli({"explain", "ARCH.EFER.LME_FROZEN_PG"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("on:        a write to EFER"));
  CHECK_THAT(r.out, Catch::Contains("assert:    old.CR0.PG -> EFER.LME == old.EFER.LME"));
  CHECK_THAT(r.out, Catch::Contains("cite:      SDM Vol.3 9.8.5"));
  auto i = run_cli({"explain", "ARCH.CR0.PG_LME_PAE"});
  CHECK_THAT(i.out, Catch::Contains("overlaps:  ARCH.LM.CONSISTENT, ARCH.CR4.PAE_IN_LM"));
}

TEST_CASE("cli: explain shows a property's predicate, condition and fix, and a flow's steps", "[cli]") {
  auto p = run_cli({"explain", "H2.NO_STALE_LMA_ROLE"});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.out, Catch::Contains("form:      at event mmu_role_computed: !(!CR0.PG && EFER.LMA)"));
  CHECK_THAT(p.out, Catch::Contains("fixed by:  61152cd907d5 (07/46)"));
  auto w = run_cli({"explain", "H1.MMU_RESET_AFTER_PAGING_WRITES"});
  CHECK_THAT(w.out, Catch::Contains("when:      path == 0 && start.CR0.PG"));
  auto f = run_cli({"explain", "kvm_5_10.vcpu_reset_vmx"});
  CHECK(f.exit_code == 0);
  CHECK_THAT(f.out, Catch::Contains("8. kvm_5_10.reset_vmx_before_cr0(init)"));
  CHECK_THAT(f.out, Catch::Contains("9. vmx_5_10.set_cr0(0x60000010)"));
  auto l = run_cli({"explain", "--list", "--scope", "common"});
  CHECK_THAT(l.out, Catch::Contains("H3.LMA_FROM_OLD_CR0  [property, common]"));
}

TEST_CASE("cli: regressions from the docs review", "[cli]") {
  // A repeatable option takes one value per use: positionals after it stay positional.
  auto p = run_cli({"prove", "--state", "RESET", "spec/arch"});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.out, Catch::Contains("34 proved"));
  auto c = run_cli({"check", "--check", "ARCH.CR0.HI", kReset, kReset});
  CHECK(c.exit_code == 0);
  // --set takes configuration only, and never suggests the name it was given.
  for (const char* bad : {"kvm.hflags=5", "init=1", "CR0=0"}) {
    auto r = run_cli({"check", kReset, "--set", bad});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("did you mean '" + std::string(bad).substr(0, std::string(bad).find('=')) + "'") ==
          std::string::npos);
  }
  // A segment given as a number says what it needs.
  auto s = run_cli({"check", "-"}, R"({"schema":"vcpuspec.state/1","state":{"CS":"0x10"}})");
  CHECK(s.exit_code == 3);
  CHECK_THAT(s.err, Catch::Contains("\"CS\" is a segment or descriptor table: give an object of its members"));
  // cpu.features and an explicit feature mean the same in either order.
  for (const char* j : {R"({"schema":"vcpuspec.state/1","cpu":{"features":["lm"],"la57":true},"state":{}})",
                        R"({"schema":"vcpuspec.state/1","cpu":{"la57":true,"features":["lm"]},"state":{}})"}) {
    auto r = run_cli({"check", "-"}, j);
    CHECK(r.exit_code == 4);  // every check unknown: the state is empty
    CHECK(r.err.empty());
  }
}

// Two questions: would the VM entry fail (entry), could a CPU be in this state
// (architecture). VM entry outside IA-32e mode does not look at CS.L (SDM Vol.3
// 27.3.1.2 checks it only for an IA-32e guest), so a 32-bit guest with CS.L=1
// enters; no CPU runs protected mode with it (ARCH.LM.CS_L).
TEST_CASE("cli: a check the missing fields cannot change is decided; one they can shows both sides", "[cli][exact]") {
  // CR3 bit 63 is at or above every MAXPHYADDR in 32..52, and no LAM bit.
  auto f = run_cli({"check", "-", "--check", "ARCH.CR3.PA"}, R"({"state": {"CR3": "0x8000000000001000"}})");
  CHECK(f.exit_code == 1);
  CHECK_THAT(f.out, Catch::Contains("FAIL    ARCH.CR3.PA"));
  CHECK_THAT(f.out, Catch::Contains("CR3 & ~(cpu.lam ? 0x6000000000000000 : 0) = 0x8000000000001000, expected pa_ok(...)"));
  CHECK_THAT(f.out, Catch::Contains("decided: fails for every value of cpu.maxphyaddr (32..52), cpu.lam, which the input "
                                    "does not give (every completion listed); shown with cpu.maxphyaddr = 32, cpu.lam = 0"));
  // The generated code alone leaves it undecided.
  auto t = run_cli({"check", "-", "--check", "ARCH.CR3.PA", "--three-valued"}, R"({"state": {"CR3": "0x8000000000001000"}})");
  CHECK(t.exit_code == 4);
  CHECK_THAT(t.out, Catch::Contains("UNKNOWN ARCH.CR3.PA"));
  // Bit 51: legal only where MAXPHYADDR is 52.
  auto u = run_cli({"check", "-", "--check", "ARCH.CR3.PA"}, R"({"state": {"CR3": "0x8000000000000"}})");
  CHECK(u.exit_code == 4);
  CHECK_THAT(u.out, Catch::Contains("fails with cpu.maxphyaddr = 32; holds with cpu.maxphyaddr = 52 (other missing fields alike)"));
  // A small CR3 passes whatever MAXPHYADDR is.
  auto p = run_cli({"check", "-", "--check", "ARCH.CR3.PA", "--verbose"}, R"({"state": {"CR3": "0x1000"}})");
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.out, Catch::Contains("pass    ARCH.CR3.PA"));
  auto j = nlohmann::json::parse(run_cli({"check", "-", "--json", "--check", "ARCH.CR3.PA"},
                                         R"({"state": {"CR3": "0x8000000000001000"}})").out);
  const auto& c = j["inputs"][0]["checks"][0];
  CHECK(c["verdict"] == "fail");
  CHECK(c["decided_by"] == "every completion listed");
  CHECK(c["for_every_value_of"] == nlohmann::json::array({"cpu.maxphyaddr", "cpu.lam"}));
  CHECK(c["shown_with"] == nlohmann::json{{"cpu.maxphyaddr", "0x20"}, {"cpu.lam", "0"}});
  CHECK_FALSE(c.contains("holds_with"));
}

TEST_CASE("cli: a QEMU dump checked without unrestricted guest is judged on the VMCS KVM would build", "[cli]") {
  const std::string dump = test::source_dir() + "/tests/data/dumps/qemu_i386_reset.txt";
  auto r = run_cli({"check", dump, "--flavor", "vmx", "--set", "vmx.unrestricted_guest=0", "--set", "vmx.ept=1", "--json"});
  auto j = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& c : j["inputs"][0]["checks"]) by_id[c["id"].get<std::string>()] = c;
  // Not the guest-visible CR0 (PE=PG=0): KVM forces both in the VMCS.
  CHECK(by_id["VMX.GS.CR0.FIXED0"]["verdict"] == "pass");
  CHECK(by_id["VMX.GS.RFLAGS.VM"]["verdict"] == "pass");
  // The RESET CS (base 0xffff0000, selector 0xf000) is no vm86 segment: KVM
  // emulates until the far jump rather than entering.
  CHECK(by_id["VMX.GS.SEG.V86.BASE"]["verdict"] == "fail");
  CHECK(by_id["VMX.GS.SEG.V86.BASE"]["whose"] == "vmm-emulates");
  CHECK(by_id["VMX.GS.SEG.V86.LIMIT"]["verdict"] == "pass");
  CHECK(by_id["VMX.GS.SEG.V86.AR"]["verdict"] == "pass");
  // The guest's own state is still RESET.
  auto e = run_cli({"check", dump, "--flavor", "vmx", "--set", "vmx.unrestricted_guest=0", "--set", "vmx.ept=1",
                    "--expect", "qemu.reset", "--check", "VMX.GS.CR0.FIXED0"});
  CHECK(e.exit_code == 0);
  CHECK_THAT(e.out, Catch::Contains("expect qemu.RESET: equal (0 mismatch"));
}

TEST_CASE("cli: a file that is not a dump is refused rather than read as one", "[cli]") {
  // The spec's own RESET table and the README name registers with values: no dump.
  for (const char* f : {"spec/arch/reset.vspec", "README.md", "docs/oracles.md", "docs/hazards.md"}) {
    auto r = run_cli({"check", test::source_dir() + "/" + f, "--expect", "reset"});
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("cannot detect the input format"));
  }
}

TEST_CASE("cli: typos get the nearest name and the command's own help", "[cli]") {
  auto cmd = run_cli({"chekc", "x"});
  CHECK(cmd.exit_code == 2);
  CHECK(cmd.err == "vcpuspec: error: 'chekc' is not a command; did you mean 'check'? (run 'vcpuspec --help')\n");
  auto opt = run_cli({"check", "--flavr", "vmx", "x"});
  CHECK(opt.exit_code == 2);
  CHECK_THAT(opt.err, Catch::Contains("--flavr; did you mean '--flavor'? (run 'vcpuspec check --help')"));
  auto id = run_cli({"check", "x", "--check", "ARCH.CR0.PG_NEED_PE"});
  CHECK(id.exit_code == 2);
  CHECK_THAT(id.err, Catch::Contains("no such check or transition; did you mean 'ARCH.CR0.PG_NEEDS_PE'?"));
  auto transition = run_cli({"check", "x", "--check", "ARCH.CR0.PG_LME_PAE"});
  CHECK(transition.exit_code == 2);
  CHECK_THAT(transition.err, Catch::Contains("a transition, a rule about one write: it is checked on the writes of a --trace"));
  // With --trace, --check takes transitions as `explain --list` shows them.
  const std::string trace = test::source_dir() + "/tests/data/traces/guest_pg_with_lme_without_pae.jsonl";
  auto rule = run_cli({"check", "--trace", trace, "--check", "ARCH.CR0.PG_LME_PAE"});
  CHECK(rule.exit_code == 1);
  CHECK_THAT(rule.out, Catch::Contains("write rules: 0 pass, 0 n/a, 0 unknown, 1 fail"));
  auto other = run_cli({"check", "--trace", trace, "--check", "ARCH.CR0.PG_NEEDS_PE"});
  CHECK(other.exit_code == 0);
  CHECK_THAT(other.out, Catch::Contains("write rules: 0 pass, 0 n/a, 0 unknown;"));
  auto ex = run_cli({"explain", "VMX.GS.CR0.FIXD0"});
  CHECK(ex.exit_code == 2);
  CHECK_THAT(ex.err, Catch::Contains("did you mean 'VMX.GS.CR0.FIXED0'?"));
  CHECK(std::count(ex.err.begin(), ex.err.end(), '\n') == 1);
}

TEST_CASE("cli: every JSON output carries the exit code", "[cli][json]") {
  const std::string dump = test::source_dir() + "/tests/data/dumps/qemu_i386_reset.txt";
  for (std::vector<std::string> args : {std::vector<std::string>{"witness", "ARCH.CR0.HI", "--json"},
                                        {"witness", "ARCH.CR0.PG_NEEDS_PE", "--json"},
                                        {"check", dump, "--json"},
                                        {"prove", "--state", "RESET", "--json"},
                                        {"lint", "docs/examples/lintdemo.vspec", "--json"}}) {
    auto r = run_cli(args);
    INFO(args[0] << " " << args[1]);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j.contains("exit_code"));
    CHECK(j["exit_code"] == r.exit_code);
  }
}

TEST_CASE("cli: --extra fills what a dump lacks and keeps what it gives", "[cli]") {
  const std::string dump = test::source_dir() + "/tests/data/dumps/qemu_i386_reset.txt";
  auto r = run_cli({"check", dump, "--expect", "qemu.reset", "--extra", "docs/examples/qemu_msrs_not_printed.json"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.out, Catch::Contains("gave what the input lacks: APIC_BASE, PAT, MTRR_DEF_TYPE, vcpu.bsp\n"));
  CHECK_THAT(r.out, Catch::Contains("65 match"));
  // A field the dump gives keeps the dump's value; the difference is noted.
  auto k = run_cli({"check", dump, "--extra", "-"}, R"({"state": {"CR0": "0x11", "XCR0": "1"}})");
  CHECK_THAT(k.out, Catch::Contains("differs from the input, whose value is kept: CR0"));
  CHECK_THAT(k.out, Catch::Contains("gave what the input lacks: XCR0"));
  // It must hold one state; not with --trace.
  CHECK(run_cli({"check", dump, "--extra", dump}).exit_code == 4);  // the dump itself: nothing new, still undecided
  auto two = run_cli({"check", dump, "--extra", test::source_dir() + "/tests/data/dumps/kvm_vmcs_two_splats.txt"});
  CHECK(two.exit_code == 2);
  CHECK_THAT(two.err, Catch::Contains("--extra"));
  CHECK(run_cli({"check", "--trace", "tests/data/traces/guest_pg_with_lme_without_pae.jsonl", "--extra", dump}).exit_code == 2);
}

TEST_CASE("cli: checking nothing is not success", "[cli]") {
  namespace fs = std::filesystem;
  const fs::path empty = fs::temp_directory_path() / "vcpuspec_empty_inputs";
  fs::remove_all(empty);
  fs::create_directories(empty / "sub");
  auto e = run_cli({"check", empty.string()});
  CHECK(e.exit_code == 5);
  CHECK(e.out.empty());
  CHECK_THAT(e.err, Catch::Contains("nothing to check: " + empty.string() + " holds no input file"));
  e = run_cli({"check", empty.string(), "--batch"});
  CHECK(e.exit_code == 5);
  fs::remove_all(empty);
  // A VMX check selected for a dump read as arch: no check runs.
  const std::string dump = test::source_dir() + "/tests/data/dumps/qemu_i386_reset.txt";
  auto n = run_cli({"check", dump, "--check", "VMX.GS.CR0.FIXED0"});
  CHECK(n.exit_code == 5);
  CHECK_THAT(n.err, Catch::Contains("nothing checked: no check --check selects applies to the inputs' flavor"));
  // With --expect something is compared: that counts.
  CHECK(run_cli({"check", dump, "--check", "VMX.GS.CR0.FIXED0", "--expect", "qemu.reset"}).exit_code == 0);
  CHECK(run_cli({"check", dump, "--check", "VMX.GS.CR0.FIXED0", "--flavor", "vmx"}).exit_code != 5);
}

TEST_CASE("cli: check answers the entry and the architecture question apart; --entry-only scripts the first", "[cli]") {
  auto state = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/vmx_protected32.json"));
  state["state"]["CS"]["ar"] = "0xe09b";  // 0xc09b with L (bit 13)
  const std::string path = test::write_temp_file("vcpuspec_cs_l_32bit_guest.json", state.dump(2));
  auto r = run_cli({"check", path});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL    ARCH.LM.CS_L"));
  CHECK_THAT(r.out, Catch::Contains("answers: architecture (no CPU is in this state by itself, though no entry check fails on it)"));
  CHECK_THAT(r.out, Catch::Contains("whose: the state's own"));
  CHECK_THAT(r.out, !Catch::Contains("no CPU accepts this state"));
  CHECK_THAT(r.out, Catch::Contains("verdict: entry passes (0 fail, 0 unknown, "));
  CHECK_THAT(r.out, Catch::Contains("; architecture fails (1 fail, 0 unknown, "));
  auto e = run_cli({"check", "--entry-only", path});
  CHECK(e.exit_code == 0);
  CHECK_THAT(e.out, Catch::Contains("FAIL    ARCH.LM.CS_L"));  // still listed
  auto j = nlohmann::json::parse(run_cli({"check", "--json", path}).out);
  const auto& input = j["inputs"][0];
  CHECK(input["summary"]["entry"]["answer"] == "passes");
  CHECK(input["summary"]["architecture"]["answer"] == "fails");
  for (const auto& c : input["checks"])
    if (c["id"] == "ARCH.LM.CS_L") CHECK(c["question"] == "architecture");
  auto b = run_cli({"check", "--batch", "--entry-only", path});
  CHECK(b.exit_code == 0);
  CHECK_THAT(b.out, Catch::Contains("entry passes, architecture fails"));
  CHECK_THAT(b.out, Catch::Contains("the entry fails in 0, the architecture in 1"));
  std::filesystem::remove(path);

  // An entry failure answers the entry question, and --entry-only fails on it.
  auto splat = run_cli({"check", "--entry-only", "tests/data/dumps/kvm_vmcs_two_splats.txt"});
  CHECK(splat.exit_code == 1);
  CHECK_THAT(splat.out, Catch::Contains("answers: entry (VM entry would fail: VMfail, or exit 0x80000021 invalid guest state)"));
  // A QEMU dump holds no VM entry: the entry question cannot be answered (exit 4), never a clean 0.
  auto qemu = run_cli({"check", "--entry-only", "tests/data/dumps/qemu_cs_long_without_lma_i386.txt"});
  CHECK(qemu.exit_code == 4);
  CHECK_THAT(qemu.out, Catch::Contains("verdict: entry not asked (flavor arch: the input is no VM entry)"));
}

// With a VMX entry control such as `load debug controls` 0 (SVM: nested paging
// off for g_PAT), the CPU keeps the VMM's value: the guest field in the dump is
// not the guest's, and no check judges it (spec: `loads` in vmcs.vspec, vmcb.vspec).
TEST_CASE("cli: fields the entry does not load are not judged as the guest's", "[cli]") {
  namespace fs = std::filesystem;
  auto write = [](const nlohmann::json& j, const std::string& name) {
    std::string path = (fs::temp_directory_path() / name).string();
    std::ofstream(path) << j.dump(2);
    return path;
  };
  auto vmx = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/vmx_protected32.json"));
  vmx["state"]["DR7"] = "0x100000400";  // bits 63:32 set: ARCH.DR7.HI fails where DR7 is the guest's
  std::string loaded = write(vmx, "vcpuspec_dr7_loaded.json");
  auto r = run_cli({"check", loaded});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL    ARCH.DR7.HI"));
  vmx["controls"]["entry"] = "0xd1fb";  // load debug controls (bit 2) cleared
  std::string unloaded = write(vmx, "vcpuspec_dr7_not_loaded.json");
  auto u = run_cli({"check", unloaded});
  CHECK(u.exit_code == 0);
  CHECK_THAT(u.out, Catch::Contains("not loaded by this entry, so not the guest's values and judged by no check: "
                                    "DR7, DEBUGCTL (entry.load_debug_controls=0)"));
  auto j = nlohmann::json::parse(run_cli({"check", "--json", unloaded}).out);
  const auto& not_loaded = j["inputs"][0]["not_loaded"];
  CHECK(std::find(not_loaded.begin(), not_loaded.end(), "DR7") != not_loaded.end());
  // np_enable is a VMCB control: in a vmx state it loads nothing, so PAT is still judged.
  CHECK(std::find(not_loaded.begin(), not_loaded.end(), "PAT") == not_loaded.end());
  for (const auto& c : j["inputs"][0]["checks"])
    if (c["id"] == "ARCH.DR7.HI") CHECK(c["verdict"] == "n/a");
  // --set reaches the same controls.
  auto s = run_cli({"check", loaded, "--set", "entry.load_debug_controls=0"});
  CHECK(s.exit_code == 0);

  auto svm = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/svm_linux64.json"));
  svm["state"]["PAT"] = "0x0007040600070402";  // PA0 = 2: reserved memory type
  svm["controls"]["np_enable"] = "0x1";
  std::string gpat = write(svm, "vcpuspec_gpat_np.json");
  CHECK_THAT(run_cli({"check", gpat}).out, Catch::Contains("FAIL    ARCH.MSR.PAT"));
  svm["controls"]["np_enable"] = "0x0";
  std::string host_pat = write(svm, "vcpuspec_gpat_no_np.json");
  auto h = run_cli({"check", host_pat});
  CHECK_THAT(h.out, !Catch::Contains("ARCH.MSR.PAT"));
  CHECK_THAT(h.out, Catch::Contains("PAT (np_enable=0)"));
  // load IA32_EFER 0: the guest keeps the VMM's EFER (l1.EFER) with LMA, and
  // LME under paging, from IA-32e mode guest (`loads EFER else ...`).
  auto lm = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/vmx_linux64.json"));
  lm["controls"]["entry"] = "0x53ff";  // load IA32_EFER (bit 15) cleared
  lm["state"]["EFER"] = "0x901";  // LMA clear: the VMCS field, not loaded
  std::string efer = write(lm, "vcpuspec_efer_not_loaded.json");
  auto e = run_cli({"check", efer});
  CHECK(e.exit_code == 0);
  CHECK_THAT(e.out, Catch::Contains("EFER = 0xd01 inferred: entry.load_efer=0, so the entry does not load the EFER field; "
                                    "the guest's is l1.EFER & ~0x500 | (entry.ia32e_mode_guest ? 0x400 : 0)"));
  // Without EPT the CPU reads the PDPTEs from memory at CR3: the fields say nothing, the rule is undecided.
  auto pae = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/vmx_protected32.json"));
  pae["state"]["CR4"] = "0x26b0";
  pae["state"]["PDPTE0"] = "0x1a3d003";
  pae["controls"]["secondary"] = "0x101028";  // enable EPT (bit 1) cleared
  std::string pdpte = write(pae, "vcpuspec_pdpte_no_ept.json");
  auto p = run_cli({"check", pdpte});
  CHECK(p.exit_code == 4);
  CHECK_THAT(p.out, Catch::Contains("UNKNOWN ARCH.CR3.PAE_PDPTE"));
  CHECK_THAT(p.out, Catch::Contains("PDPTE0, PDPTE1, PDPTE2, PDPTE3 (secondary.enable_ept=0)"));
  for (const std::string& f : {loaded, unloaded, gpat, host_pat, efer, pdpte}) fs::remove(f);
}

// A whole VMX control word in a state JSON or --set is split as the dump
// readers split it: named bits and W.other_bits; an inactive word is read as 0.
TEST_CASE("cli: whole control words in a state JSON and --set", "[cli]") {
  auto r = run_cli({"check", "-", "--verbose"},
                   R"({"flavor": "vmx", "controls": {"primary": "0x35a06dfa", "secondary": "0x82"}, "state": {}})");
  CHECK_THAT(r.out, Catch::Contains("primary.activate_secondary=0, so VM entry reads every secondary control as 0 "
                                    "(ignored: secondary.enable_ept=1, secondary.unrestricted_guest=1)"));
  auto set = run_cli({"check", "-", "--set", "vmx.procbased_ctls=0xfff9fffe04006172", "--set", "primary=0xb5a06dfa",
                      "--check", "VMX.CTL.PROC.ALLOWED"},
                     R"({"flavor": "vmx", "state": {}})");
  CHECK(set.exit_code == 0);
  CHECK_THAT(set.out, Catch::Contains("primary.other_bits=0x25806dfa"));
  auto bad = run_cli({"check", "-", "--set", "vmx.procbased_ctls=0xfff9fffe04006172", "--set", "primary=0x8b5a06dfa",
                      "--check", "VMX.CTL.PROC.ALLOWED"},
                     R"({"flavor": "vmx", "state": {}})");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--set primary=0x8b5a06dfa: '0x8b5a06dfa' is not a 32-bit control word"));
  auto twice = run_cli({"check", "-"}, R"({"flavor": "vmx", "controls": {"entry": "0xd3ff", "entry.load_efer": 1}})");
  CHECK(twice.exit_code == 3);
  CHECK_THAT(twice.err, Catch::Contains("\"entry.load_efer\" is given twice"));
}

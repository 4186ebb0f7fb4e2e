// The CPU mode machine Z3 derives from the built-in spec: the modes partition
// the legal states, the architecture's known ways between them are edges, its
// known shortcuts are refused with the right rule, and impossible moves are
// absent. A spec whose modes overlap or leave a state out is refused.
#include <catch2/catch.hpp>

#include <algorithm>

#include "support/helpers.hpp"
#include "z3/mode_machine.hpp"

using namespace vcpuspec;

namespace {

const smt::ModeMachine& machine() {
  static const smt::ModeMachine mm = smt::derive_mode_machine(*test::builtin_spec().model);
  return mm;
}

size_t mode(const std::string& id) {
  const auto& ms = machine().modes;
  for (size_t i = 0; i < ms.size(); ++i)
    if (ms[i].id == id) return i;
  FAIL("no mode " << id);
  return 0;
}

// The edge from -> to (solid or refused), or null.
const smt::ModeEdge* edge(const std::string& from, const std::string& to, bool refused = false) {
  size_t f = from == "RESET" ? smt::ModeEdge::kResetNode : mode(from), t = mode(to);
  for (const smt::ModeEdge& e : machine().edges)
    if (e.from == f && e.to == t && e.refused == refused) return &e;
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

bool solid(const std::string& from, const std::string& to, const std::string& write) {
  const smt::ModeEdge* e = edge(from, to);
  return e && has(e->writes, write);
}

bool refused_by(const std::string& from, const std::string& to, const std::string& write, const std::string& rule) {
  const smt::ModeEdge* e = edge(from, to, true);
  return e && has(e->writes, write) && has(e->rules, rule);
}

const char* kExecuting[] = {"MODE.REAL", "MODE.PROT16", "MODE.PROT32", "MODE.PAGING32",
                            "MODE.PAE",  "MODE.V86",    "MODE.COMPAT", "MODE.LONG64"};

}  // namespace

TEST_CASE("modes: eleven modes, disjoint and covering, decided", "[modes]") {
  const smt::ModeMachine& mm = machine();
  INFO(mm.reason);
  CHECK(mm.problems.empty());
  CHECK(mm.outcome == smt::Outcome::Proved);
  CHECK(mm.modes.size() == 11);
  CHECK(mm.queries > 500);
  // The boxes come from what Z3 finds forced in each mode.
  CHECK(mm.modes[mode("MODE.PROT16")].box == "CR0.PE=1");
  CHECK(mm.modes[mode("MODE.V86")].box == "CR0.PE=1");
  CHECK(mm.modes[mode("MODE.REAL")].box.empty());
  CHECK(mm.modes[mode("MODE.SMM")].box.empty());
  CHECK(mm.modes[mode("MODE.COMPAT")].group == "CR0.PG=1, EFER.LMA=1");
  CHECK(mm.modes[mode("MODE.PROT32")].group == "CR0.PG=0, EFER.LMA=0");
  CHECK(mm.modes[mode("MODE.V86")].group.empty());  // virtual-8086 mode runs with and without paging
}

TEST_CASE("modes: RESET to 64-bit mode and back through INIT", "[modes]") {
  CHECK(solid("RESET", "MODE.REAL", "RESET (BSP)"));
  CHECK(solid("RESET", "MODE.WAIT_SIPI", "RESET (AP)"));
  CHECK(solid("MODE.WAIT_SIPI", "MODE.REAL", "SIPI"));
  CHECK(solid("MODE.REAL", "MODE.PROT16", "MOV CR0"));
  CHECK(solid("MODE.PROT16", "MODE.PROT32", "far JMP"));
  CHECK(solid("MODE.PROT32", "MODE.PAE", "MOV CR0"));
  CHECK(solid("MODE.PAGING32", "MODE.PAE", "MOV CR4"));
  CHECK(solid("MODE.PROT32", "MODE.COMPAT", "MOV CR0"));  // EFER.LME and CR4.PAE set first
  CHECK(solid("MODE.COMPAT", "MODE.LONG64", "far JMP"));
  CHECK(solid("MODE.COMPAT", "MODE.LONG64", "interrupt"));  // IA-32e gates lead to 64-bit code
  CHECK(solid("MODE.LONG64", "MODE.COMPAT", "far JMP"));
  CHECK(!solid("MODE.LONG64", "MODE.COMPAT", "interrupt"));
  CHECK(solid("MODE.COMPAT", "MODE.PROT32", "MOV CR0"));  // leaving long mode: clear PG in compatibility mode
  for (const char* m : kExecuting) {
    INFO(m);
    CHECK(solid(m, "MODE.SMM", "SMI"));
    CHECK(solid("MODE.SMM", m, "RSM"));
    CHECK(solid(m, "MODE.SHUTDOWN", "triple fault"));
    CHECK(solid(m, "MODE.WAIT_SIPI", "INIT (AP)"));
    if (std::string(m) != "MODE.REAL") CHECK(solid(m, "MODE.REAL", "INIT (BSP)"));
  }
  CHECK(solid("MODE.SMM", "MODE.SHUTDOWN", "RSM, invalid image"));
  CHECK(solid("MODE.SHUTDOWN", "MODE.REAL", "INIT (BSP)"));
  // INIT is latched in SMM; SMI is not taken in wait-for-SIPI or shutdown.
  CHECK(!edge("MODE.SMM", "MODE.WAIT_SIPI"));
  CHECK(!edge("MODE.WAIT_SIPI", "MODE.SMM"));
  CHECK(!edge("MODE.SHUTDOWN", "MODE.SMM"));
}

TEST_CASE("modes: impossible moves are absent", "[modes]") {
  // 64-bit mode is entered from compatibility mode only.
  for (const char* m : kExecuting)
    if (std::string(m) != "MODE.COMPAT" && std::string(m) != "MODE.LONG64") CHECK(!edge(m, "MODE.LONG64"));
  // Virtual-8086 mode: IRET from protected mode in, an interrupt out.
  CHECK(!edge("MODE.REAL", "MODE.V86"));
  CHECK(!edge("MODE.COMPAT", "MODE.V86"));
  CHECK(solid("MODE.PROT32", "MODE.V86", "IRET"));
  CHECK(solid("MODE.V86", "MODE.PROT32", "interrupt"));
  const smt::ModeEdge* v86_out = edge("MODE.V86", "MODE.PROT32");
  REQUIRE(v86_out);
  CHECK(v86_out->writes == std::vector<std::string>{"interrupt"});  // no MOV CR0 at CPL 3
  // 64-bit mode never goes straight to legacy modes; PAE paging never to long mode by MOV CR0.
  CHECK(!edge("MODE.LONG64", "MODE.PROT32"));
  const smt::ModeEdge* to_real = edge("MODE.LONG64", "MODE.REAL");
  REQUIRE(to_real);
  CHECK(to_real->writes == std::vector<std::string>{"INIT (BSP)"});  // only INIT
  CHECK(!edge("MODE.PAE", "MODE.COMPAT"));
}

TEST_CASE("modes: the forbidden shortcuts are refused with their rule", "[modes]") {
  // Setting CR0.PG with EFER.LME=1 and CR4.PAE=0: #GP.
  CHECK(refused_by("MODE.PROT32", "MODE.COMPAT", "MOV CR0", "ARCH.CR0.PG_LME_PAE"));
  CHECK(refused_by("MODE.REAL", "MODE.COMPAT", "MOV CR0", "ARCH.CR0.PG_LME_PAE"));
  // Clearing CR0.PG in 64-bit mode: #GP (compatibility mode first).
  CHECK(refused_by("MODE.LONG64", "MODE.PROT32", "MOV CR0", "ARCH.CR0.PG_CLEAR_64"));
  CHECK(refused_by("MODE.LONG64", "MODE.REAL", "MOV CR0", "ARCH.CR0.PG_CLEAR_64"));
  // Leaving long mode with PCIDE set, enabling PAE paging with bad PDPTEs.
  CHECK(refused_by("MODE.COMPAT", "MODE.PROT32", "MOV CR0", "ARCH.CR0.PG_CLEAR_PCIDE"));
  CHECK(refused_by("MODE.PROT32", "MODE.PAE", "MOV CR0", "ARCH.CR0.PAE_PDPTE"));
  CHECK(refused_by("MODE.PAGING32", "MODE.PAE", "MOV CR4", "ARCH.CR4.PAE_PDPTE"));
  // A write that breaks a state check, not a write rule, is not a shortcut:
  // CR0.PG=1 with PE=0 is no way into real mode.
  CHECK(!edge("MODE.PROT32", "MODE.REAL", true));
  for (const std::string& r : machine().rules) CHECK(test::builtin_spec().model->find_transition(r));
}

TEST_CASE("modes: a spec whose modes overlap or leave states out is refused", "[modes]") {
  auto with_modes = [](const std::string& modes) {
    std::vector<SourceFile> files;
    for (const std::string& p : front::find_spec_files(test::source_dir() + "/spec"))
      if (p.find("modes.vspec") == std::string::npos) files.push_back(SourceFile{p, test::read_text(p)});
    files.push_back(SourceFile{"modes.vspec", modes});
    auto spec = front::load_spec_sources(files);
    REQUIRE(spec->model);
    return smt::derive_mode_machine(*spec->model);
  };
  auto overlap = with_modes(
      "mode M.A \"paging\" cite \"x\" = CR0.PG;\n"
      "mode M.B \"protected\" cite \"x\" = CR0.PE;\n"
      "mode M.C \"real\" cite \"x\" = !CR0.PE;\n");
  REQUIRE(overlap.problems.size() == 1);
  CHECK_THAT(overlap.problems[0], Catch::StartsWith("modes M.A and M.B overlap: both hold for CR0=0x8"));
  auto gap = with_modes("mode M.A \"real\" cite \"x\" = !CR0.PE;\n");
  REQUIRE(gap.problems.size() == 1);
  CHECK_THAT(gap.problems[0], Catch::StartsWith("a legal state is in no mode: CR0=0x"));
  auto empty = with_modes("mode M.A \"all\" cite \"x\" = true;\nmode M.B \"never\" cite \"x\" = CR0.PG && !CR0.PE;\n");
  REQUIRE(empty.problems.size() == 1);
  CHECK(empty.problems[0] == "mode M.B holds in no legal state");
  auto none = with_modes("");
  CHECK(none.problems == std::vector<std::string>{"the spec declares no `mode`: there is no mode machine to derive"});
}

// The writes are the spec's `instruction`s and `signal`s: an author adds one
// (here NMI, delivered like an interrupt) or drops them without touching C++.
TEST_CASE("modes: the writes come from the spec's instructions and signals", "[modes]") {
  auto machine_with = [](const std::string& extra, bool drop_instructions) {
    std::vector<SourceFile> files;
    for (const std::string& p : front::find_spec_files(test::source_dir() + "/spec"))
      if (!drop_instructions || p.find("instructions.vspec") == std::string::npos)
        files.push_back(SourceFile{p, test::read_text(p)});
    files.push_back(SourceFile{"extra.vspec", extra});
    auto spec = front::load_spec_sources(files);
    REQUIRE(spec->model);
    return smt::derive_mode_machine(*spec->model);
  };
  // Each write carries its label, its citation and whether it is a signal.
  const auto& writes = machine().writes;
  REQUIRE(writes.size() == 13);
  CHECK(writes.front().label == "MOV CR0");
  CHECK_FALSE(writes.front().signal);
  CHECK_THAT(writes.front().cite, Catch::Contains("SDM Vol.3 9.8.5"));
  CHECK(std::any_of(writes.begin(), writes.end(), [](const auto& w) { return w.label == "SMI" && w.signal; }));

  auto nmi = machine_with(
      "signal NMI \"NMI\" cite sdm \"6.7\" vol 3 \"nonmaskable interrupt\" {\n"
      "  assume executing() && !SMM && CR0.PE;\n"
      "  RFLAGS.VM := 0; CS := any; SS := any;\n"
      "  assume old.EFER.LMA -> CS.ar.L;\n"
      "}\n",
      false);
  REQUIRE(nmi.problems.empty());
  CHECK(nmi.writes.size() == 14);
  bool v86_out = false;
  for (const smt::ModeEdge& e : nmi.edges)
    if (!e.refused && e.from == mode("MODE.V86") && e.to == mode("MODE.PROT32"))
      v86_out = e.writes == std::vector<std::string>{"interrupt", "NMI"};
  CHECK(v86_out);

  auto none = machine_with("", true);
  CHECK(none.problems ==
        std::vector<std::string>{"the spec declares no `instruction` or `signal`: there are no writes to try between modes"});
}

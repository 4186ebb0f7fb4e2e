// Each VMM's RESET and INIT against the architecture's (`vcpuspec compare`):
// docs/vmms.md is the generated table, every difference the built-in spec
// finds is classified, and the findings read from each VMM's code are there.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/helpers.hpp"

using namespace vcpuspec;
using test::run_cli;

namespace {

// (state, field) -> (kind, VMM value): what the code read at the cited
// version leaves, each a fact the spec's comments and docs/vmms.md cite.
const std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> kKnown = {
    {{"bochs.RESET", "CR2"}, {"discrepancy", "unspecified"}},            // dangling else swallows cr2 = 0
    {{"bochs.INIT", "CR2"}, {"discrepancy", "kept"}},
    {{"bochs.INIT", "FMASK"}, {"discrepancy", "0x20200"}},
    {{"bochs.INIT", "APIC_BASE"}, {"discrepancy", "0xfee00800 | (vcpu.bsp ? 0x100 : 0)"}},
    {{"bochs.RESET", "CS.ar.type"}, {"implementation_defined", "3"}},
    {{"qemu.RESET", "FCW"}, {"discrepancy", "0x37f"}},
    {{"qemu.INIT", "CR0.CD"}, {"discrepancy", "1"}},
    {{"qemu.INIT", "MTRR_DEF_TYPE"}, {"discrepancy", "0"}},
    {{"virtualbox.RESET", "RDX"}, {"discrepancy", "0x600"}},
    {{"virtualbox.INIT", "ACTIVITY_STATE"}, {"discrepancy", "3"}},
    {{"virtualbox.INIT", "PAT"}, {"discrepancy", "0x7040600070406"}},
    {{"xen.INIT", "CR0.CD"}, {"discrepancy", "0"}},
    {{"xen.INIT", "BNDCFGS"}, {"discrepancy", "kept"}},
    {{"acrn.RESET", "CS.ar.type"}, {"implementation_defined", "0xf"}},
    {{"acrn.RESET", "MTRR_DEF_TYPE"}, {"intentional", "0xc00"}},
    {{"bhyve.RESET", "TR.limit"}, {"discrepancy", "0"}},
    {{"bhyve.RESET", "RDX"}, {"discrepancy", "0xf00"}},
    {{"crosvm.RESET", "CR0.NW"}, {"discrepancy", "0"}},
    {{"haxm.RESET", "MXCSR"}, {"discrepancy", "0"}},
    {{"nvmm.RESET", "FTW"}, {"discrepancy", "0x55"}},
    {{"kvm.RESET", "FCW"}, {"discrepancy", "0x37f"}},
    {{"bhyve.RESET", "CR0"}, {"intentional", "0x20"}},
};

}  // namespace

TEST_CASE("vmms: docs/vmms.md is the generated table", "[vmms][golden]") {
  auto r = run_cli({"compare", "--report", "md"});
  CHECK(r.exit_code == 0);
  std::string diff;
  CHECK(test::match_golden(test::source_dir() + "/docs/vmms.md", r.out, diff));
  if (!diff.empty()) FAIL_CHECK(diff);
}

TEST_CASE("vmms: every difference of the built-in spec is classified, and the read findings are there", "[vmms]") {
  auto r = run_cli({"compare", "--json"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "vcpuspec.compare/1");
  std::set<std::string> vmms;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> seen;
  for (const auto& s : j["states"]) {
    vmms.insert(s["vmm"].get<std::string>());
    CHECK(s["outcome"] == "proved");
    for (const auto& d : s["differences"]) {
      INFO(s["state"] << " " << d["field"]);
      CHECK(d["kind"] != "unclassified");
      CHECK_FALSE(d["cite"].get<std::string>().empty());
      CHECK_FALSE(d["architecture_cite"].get<std::string>().empty());
      seen[{s["state"], d["field"]}] = {d["kind"], d["value"]};
    }
  }
  CHECK(vmms.size() >= 8);
  for (const auto& [key, want] : kKnown) {
    INFO(key.first << " " << key.second);
    REQUIRE(seen.count(key));
    CHECK(seen[key] == want);
  }
}

TEST_CASE("vmms: an unclassified difference or a stale classification fails, with where", "[vmms][cli]") {
  std::string spec = test::write_temp_file("vmm_bad.vspec", R"(register CR0 : 64 { PE 0; NW 29; CD 30; PG 31; }
register RDX : 64;
state RESET "r" cite sdm "Table 9-1" vol 3 { CR0 = 0x60000010; RDX = 0; }
state v.RESET for RESET "v" cite qemu "a/b.c" at "v1" {
  like RESET;
  CR0 = 0x10;
  RDX = 0 differs harmless "says so";
}
)");
  auto r = run_cli({"compare", spec});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("CR0.CD: v.RESET 0, RESET 1"));
  CHECK_THAT(r.out, Catch::Contains("vmm_bad.vspec:6:3: error: not classified"));
  CHECK_THAT(r.out, Catch::Contains("vmm_bad.vspec:7:3: error: `differs harmless` but v.RESET gives these bits the value RESET gives"));
  CHECK_THAT(r.out, Catch::Contains("1 VMM states compared: 0 with every difference classified, 1 not"));
  auto j = nlohmann::json::parse(run_cli({"compare", spec, "--json"}).out);
  CHECK(j["exit_code"] == 1);
  CHECK(j["states"][0]["differences"][0]["kind"] == "unclassified");
}

TEST_CASE("vmms: compare's usage errors", "[vmms][cli]") {
  auto r = run_cli({"compare", "--vmm", "nosuch"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--vmm nosuch: the spec has no state of that VMM (it has: acrn, bhyve, bochs"));
  r = run_cli({"compare", "--report", "html"});
  CHECK(r.exit_code == 2);
  r = run_cli({"compare", "--vmm", "bochs"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 VMM states compared"));
}

TEST_CASE("vmms: a dump is checked against a VMM's own RESET", "[vmms][cli]") {
  // QEMU's RESET with FNINIT's FCW: a mismatch against RESET, a match against qemu.RESET.
  std::string state = test::write_temp_file("qemu_fcw.json", R"({"schema": "vcpuspec.state/1", "flavor": "arch", "cpu": {"vendor": "intel"}, "state": {"FCW": "0x37f", "FTW": "0x0"}})");
  auto arch = run_cli({"check", state, "--expect", "reset"});
  CHECK_THAT(arch.out, Catch::Contains("FCW"));
  auto qemu = run_cli({"check", state, "--expect", "qemu.reset"});
  CHECK(qemu.exit_code != 2);
  CHECK_THAT(arch.out, Catch::Contains("MISMATCH RESET FCW = 0x37f, expected 0x40"));
  CHECK_THAT(qemu.out, Catch::Contains("expect qemu.RESET: equal"));
}

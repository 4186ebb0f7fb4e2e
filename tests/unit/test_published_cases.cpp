// The published cross-check table (tests/data/published_cases.tsv): cases
// from kvm-unit-tests' guest-state tests, KVM's nested checks and the SDM/APM,
// each a base state (tests/data/published/) plus edits, with the exact set of
// checks that must fail. The generated checker must agree on every row; the
// checker's own witnesses never enter this table, so it is an outside view.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checker.gen.hpp"
#include "engine/not_loaded.hpp"
#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

struct Case {
  int line = 0;
  std::string name, base, edits, expect, source;
};

using test::split;

std::vector<Case> table() {
  std::vector<Case> out;
  std::istringstream in(test::read_text(test::source_dir() + "/tests/data/published_cases.tsv"));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    INFO("published_cases.tsv:" << n);
    REQUIRE(cols.size() == 5);
    out.push_back({n, cols[0], cols[1], cols[2], cols[3], cols[4]});
  }
  return out;
}

readers::StateInput base_state(const std::string& file) {
  std::string path = "tests/data/published/" + file;
  auto r = readers::read_state_json(test::read_text(test::source_dir() + "/" + path), path, test::slots());
  if (auto* e = std::get_if<readers::ReadError>(&r)) FAIL(e->format());
  readers::StateInput in = std::get<readers::StateInput>(r);
  readers::apply_defaults(test::slots(), in);
  return in;
}

// `KEY=VALUE;KEY=VALUE` by slot name (`CR0`, `CS.ar`, `cpu.maxphyaddr`,
// `secondary.unrestricted_guest`), VALUE a number or true/false; `-` is none.
std::string apply_edits(const std::string& edits, readers::StateInput& in) {
  if (edits == "-") return "";
  for (const std::string& kv : split(edits, ';')) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return "edit '" + kv + "' is not KEY=VALUE";
    long id = readers::find_slot(test::slots(), kv.substr(0, eq));
    if (id < 0) return "edit '" + kv + "': no such field";
    const std::string val = kv.substr(eq + 1);
    uint64_t v = 0;
    if (val == "true" || val == "false") v = val == "true";
    else if (!readers::parse_u64(val, v)) return "edit '" + kv + "': not a number";
    in.state.set(static_cast<size_t>(id), v);
    in.origin[static_cast<size_t>(id)] = readers::Origin::Given;
  }
  return "";
}

std::set<std::string> expected_failures(const std::string& expect) {
  if (expect == "pass") return {};
  REQUIRE(expect.rfind("fail:", 0) == 0);
  auto ids = split(expect.substr(5), ',');
  return {ids.begin(), ids.end()};
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) out += (out.empty() ? "" : ",") + x;
  return out.empty() ? "(none)" : out;
}

}  // namespace

TEST_CASE("published cases: the generated checker agrees with every row", "[published]") {
  const std::vector<Case> cases = table();
  std::set<std::string> names, ids;
  for (size_t i = 0; i < generated::kNumChecks; ++i) ids.insert(generated::kChecks[i].id);
  size_t passes = 0;
  for (const Case& c : cases) {
    INFO("published_cases.tsv:" << c.line << " " << c.name << " (" << c.source << ")");
    CHECK(names.insert(c.name).second);
    CHECK(!c.source.empty());
    readers::StateInput in = base_state(c.base);
    REQUIRE(apply_edits(c.edits, in) == "");
    engine::drop_not_loaded(test::slots(), in);  // as `check` does: fields the entry does not load
    std::set<std::string> want = expected_failures(c.expect);
    for (const std::string& id : want) CHECK(ids.count(id) == 1);
    passes += want.empty();
    engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks}, test::slots(), in);
    std::set<std::string> got, unknown;
    for (const engine::CheckResult& r : run.results) {
      if (r.verdict == rt::Verdict::Fail) got.insert(r.info->id);
      if (r.verdict == rt::Verdict::Unknown) unknown.insert(r.info->id);
    }
    INFO("expected " << join(want) << ", the checker failed " << join(got) << "; unknown " << join(unknown));
    CHECK(unknown.empty());
    CHECK(got == want);
    // A state VMRUN accepts (an SVM non-check): no svm check may fail, whatever the arch checks report.
    if (c.source.rfind("VMRUN accepts", 0) == 0)
      for (const engine::CheckResult& r : run.results)
        CHECK(!(r.verdict == rt::Verdict::Fail && std::string(r.info->scope) == "svm"));
  }
  CHECK(cases.size() >= 250);
  CHECK(passes >= 90);             // legal edge values must stay silent
  CHECK(cases.size() - passes >= 150);
}

TEST_CASE("published cases: every base state passes every check it reaches", "[published]") {
  size_t bases = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/tests/data/published")) {
    if (e.path().extension() != ".json") continue;
    ++bases;
    INFO(e.path().filename().string());
    readers::StateInput in = base_state(e.path().filename().string());
    engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks}, test::slots(), in);
    CHECK(run.fail == 0);
    CHECK(run.unknown == 0);
  }
  CHECK(bases >= 3);
}

// The new-user checks, through the CLI as users run it: a 64-bit
// guest with CS.L and CS.D both set, and a real-mode guest under
// unrestricted guest whose SS has DPL 3.
TEST_CASE("published cases: what a new user tries", "[published][cli]") {
  auto edited = [](const std::string& base, const std::string& seg, const std::string& ar) {
    auto j = nlohmann::json::parse(test::read_text(test::source_dir() + "/tests/data/published/" + base));
    j["state"][seg]["ar"] = ar;
    return test::write_temp_file("vcpuspec_newuser_" + base, j.dump(1));
  };
  auto cs = test::run_cli({"check", edited("vmx_linux64.json", "CS", "0xe09b")});
  INFO(cs.out);
  CHECK(cs.exit_code == 1);
  // The first finding line names the CS rule; the next ones the field and the manual section.
  CHECK(cs.out.find("\nFAIL    VMX.GS.SEG.CS.L_D: ") != std::string::npos);
  CHECK(cs.out.find("CS.ar.DB = 1, expected 0 (required because CS.ar.L)") != std::string::npos);
  CHECK(cs.out.find("cite: SDM Vol.3 27.3.1.2") != std::string::npos);
  CHECK(cs.out.find("checks: 1 fail, 0 unknown") != std::string::npos);

  auto ug = test::run_cli({"check", edited("vmx_ug_realmode.json", "SS", "0xf3")});
  INFO(ug.out);
  CHECK(ug.exit_code == 1);
  // Real mode under unrestricted guest: the SS rule applies because CR0.PE=0, and says so.
  CHECK(ug.out.find("FAIL    VMX.GS.SEG.SS.DPL0: ") != std::string::npos);
  CHECK(ug.out.find("(required because CS.ar.type == 3 || !CR0.PE)") != std::string::npos);
}

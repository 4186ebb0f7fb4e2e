// SARIF 2.1.0 output of check and lint: the parts code-scanning tools read
// (version, rules with ids, results whose ruleIndex names their rule, levels
// and kinds SARIF allows together, locations) are well formed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "support/helpers.hpp"

using namespace vcpuspec;
using nlohmann::json;

namespace {

void require_wellformed(const json& log) {
  REQUIRE(log.at("version") == "2.1.0");
  REQUIRE(log.at("$schema").get<std::string>().find("sarif-2.1.0") != std::string::npos);
  REQUIRE(log.at("runs").size() == 1);
  const json& run = log["runs"][0];
  REQUIRE(run.at("tool").at("driver").at("name") == "vcpuspec");
  const json& rules = run["tool"]["driver"].at("rules");
  std::set<std::string> ids;
  for (const json& r : rules) {
    CHECK(ids.insert(r.at("id").get<std::string>()).second);
    CHECK_FALSE(r.at("shortDescription").at("text").get<std::string>().empty());
  }
  for (const json& res : run.at("results")) {
    size_t i = res.at("ruleIndex");
    REQUIRE(i < rules.size());
    CHECK(rules[i]["id"] == res.at("ruleId"));
    std::string level = res.at("level");
    CHECK(std::set<std::string>{"error", "warning", "note", "none"}.count(level));
    if (res.contains("kind") && res["kind"] != "fail") CHECK(level == "none");
    CHECK_FALSE(res.at("message").at("text").get<std::string>().empty());
    CHECK(res.at("locations").size() >= 1);
  }
}

}  // namespace

TEST_CASE("check --sarif: a failing state gives one error result naming the check, field and citation", "[sarif]") {
  auto w = test::run_cli({"witness", "ARCH.LM.CS_L", "--state", "fail"});
  REQUIRE(w.exit_code == 0);
  auto r = test::run_cli({"check", "--sarif", "-"}, w.out);
  CHECK(r.exit_code == 1);
  json log = json::parse(r.out);
  require_wellformed(log);
  const json& results = log["runs"][0]["results"];
  REQUIRE(results.size() == 1);
  CHECK(results[0]["ruleId"] == "ARCH.LM.CS_L");
  CHECK(results[0]["level"] == "error");
  std::string msg = results[0]["message"]["text"];
  CHECK(msg.find("CS.ar.L = 1, expected 0") != std::string::npos);
  CHECK(msg.find("SDM Vol.3 5.2.1") != std::string::npos);
  CHECK(results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "CS.ar.L");
  // The rule links the sources it cites: the manual first, as the spec lists them.
  const json& rule = log["runs"][0]["tool"]["driver"]["rules"][0];
  CHECK(rule["helpUri"].get<std::string>().find("intel.com") != std::string::npos);
  CHECK(rule["properties"]["links"].size() >= 1);
}

TEST_CASE("check --sarif: undecided checks are open results, not failures", "[sarif]") {
  auto r = test::run_cli({"check", "--sarif", "-"}, R"({"schema":"vcpuspec.state/1","state":{"CR0":"0x60000010"}})");
  CHECK(r.exit_code == 4);
  json log = json::parse(r.out);
  require_wellformed(log);
  bool open = false;
  for (const json& res : log["runs"][0]["results"]) open |= res.value("kind", "") == "open";
  CHECK(open);
}

TEST_CASE("lint --sarif: findings carry the spec file, line and column", "[sarif]") {
  auto r = test::run_cli({"lint", "--sarif"});
  CHECK(r.exit_code == 0);
  json log = json::parse(r.out);
  require_wellformed(log);
  for (const json& res : log["runs"][0]["results"]) {
    const json& region = res["locations"][0]["physicalLocation"]["region"];
    CHECK(region.at("startLine").get<int>() > 0);
    CHECK(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().rfind("spec/", 0) == 0);
  }
}

// Every check has a witness pair from Z3 — a state that passes every check
// and one that fails that check alone — and the generated checker agrees:
// the failing state fails exactly that check, the passing state nothing,
// with no unknowns. A check with no such state must say whom it overlaps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <variant>

#include "checker.gen.hpp"
#include "engine/run_checks.hpp"
#include "readers/state_json.hpp"
#include "report/state_writer.hpp"
#include "support/helpers.hpp"
#include "z3/witness.hpp"

using namespace vcpuspec;

namespace {

// Writes the state as JSON and reads it back, as a user would pipe it.
engine::CheckRun check_json(const std::string& flavor, const std::vector<smt::FieldValue>& values) {
  std::string text = report::write_state_json(test::slots(), flavor, "witness test", values);
  auto r = readers::read_state_json(text, "witness.json", test::slots());
  REQUIRE(std::holds_alternative<readers::StateInput>(r));
  const auto& in = std::get<readers::StateInput>(r);
  return engine::run_checks({generated::kChecks, generated::kNumChecks}, test::slots(), in);
}

std::vector<std::string> failing(const engine::CheckRun& run) {
  std::vector<std::string> ids;
  for (const auto& r : run.results)
    if (r.verdict == rt::Verdict::Fail) ids.push_back(r.info->id);
  return ids;
}

// Every check in one of four shards (check index mod 4): four test cases that
// ctest runs side by side, each a quarter of the Z3 work.
void witness_pairs(size_t shard) {
  const ir::Model& m = *test::builtin_spec().model;
  size_t found = 0, implied = 0;
  for (size_t i = shard; i < m.checks.size(); i += 4) {
    const ir::Check& c = m.checks[i];
    INFO("check " << c.id);
    smt::WitnessPair w = smt::find_witness(m, c, {});
    REQUIRE(w.outcome != smt::Outcome::Unknown);
    if (w.outcome == smt::Outcome::Failed) {
      // No state fails it alone: the spec must declare the overlap.
      REQUIRE_FALSE(w.implied_by.empty());
      for (const std::string& d : w.implied_by) {
        INFO("implied by " << d);
        bool declared = std::find(c.overlaps.begin(), c.overlaps.end(), d) != c.overlaps.end();
        if (const ir::Check* other = m.find_check(d))
          declared = declared || std::find(other->overlaps.begin(), other->overlaps.end(), c.id) != other->overlaps.end();
        CHECK(declared);
      }
      ++implied;
      continue;
    }
    ++found;
    CHECK_FALSE(w.changed.empty());
    engine::CheckRun pass = check_json(w.flavor, w.passing);
    CHECK(pass.fail == 0);
    CHECK(pass.unknown == 0);
    engine::CheckRun fail = check_json(w.flavor, w.failing);
    CHECK(failing(fail) == std::vector<std::string>{c.id});
    CHECK(fail.unknown == 0);
  }
  CHECK(found > 0);
  WARN("witness pairs, shard " << shard << ": " << found << " found, " << implied << " checks implied by others");
}

}  // namespace

TEST_CASE("witness pairs: each failing witness fails exactly its own check (checks 0, 4, 8, ...)", "[witness]") {
  witness_pairs(0);
}
TEST_CASE("witness pairs: each failing witness fails exactly its own check (checks 1, 5, 9, ...)", "[witness]") {
  witness_pairs(1);
}
TEST_CASE("witness pairs: each failing witness fails exactly its own check (checks 2, 6, 10, ...)", "[witness]") {
  witness_pairs(2);
}
TEST_CASE("witness pairs: each failing witness fails exactly its own check (checks 3, 7, 11, ...)", "[witness]") {
  witness_pairs(3);
}

// The inventory of KVM's nested entry checks (tests/data/kvm_entry_conditions.tsv,
// read in Linux v7.1.3): every check it names exists in the spec, every row
// without one says why, and the counts of covered and uncovered rows only move
// when the table is edited on purpose.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "support/helpers.hpp"

using namespace vcpuspec;

using test::split;

TEST_CASE("entry conditions: every KVM condition maps to spec checks or says why not", "[catalogue]") {
  const ir::Model& m = *test::builtin_spec().model;
  std::set<std::string> ids;
  for (const ir::Check& c : m.checks) ids.insert(c.id);
  for (const ir::NonCheck& n : m.nonchecks) ids.insert(n.id);
  const std::set<std::string> kinds = {"vmx-prereq", "vmx-controls", "vmx-host", "vmx-guest",
                                       "svm-vmrun",  "svm-controls", "svm-save"};
  std::istringstream rows(test::read_text(test::source_dir() + "/tests/data/kvm_entry_conditions.tsv"));
  std::map<std::string, size_t> count;
  size_t covered = 0, rows_seen = 0;
  std::set<std::pair<std::string, std::string>> lines;  // (function, line): one row each
  for (std::string line; std::getline(rows, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("kind\t", 0) == 0) continue;
    std::vector<std::string> col = split(line, '\t');
    INFO(line);
    REQUIRE(col.size() >= 6);
    ++rows_seen;
    CHECK(kinds.count(col[0]));
    CHECK(col[1].rfind("linux@v7.1.3 arch/x86/kvm/", 0) == 0);
    CHECK(std::stoul(col[3]) > 0);
    CHECK(lines.insert({col[2], col[3] + " " + col[4]}).second);
    if (col[5] == "-") {
      CHECK(col.size() == 7);  // an uncovered row says what it needs or that it is KVM's own
      if (col.size() == 7) CHECK((col[6].rfind("uncovered", 0) == 0 || col[6].rfind("KVM-only", 0) == 0));
      ++count[col.size() == 7 ? col[6].substr(0, col[6].find(':')) : "?"];
      continue;
    }
    for (const std::string& id : split(col[5], ',')) CHECK(ids.count(id) == 1);
    ++covered;
  }
  CHECK(rows_seen == 176);
  CHECK(covered == 145);  // a few only in part: their note says which part is missing
  CHECK(count["uncovered"] == 18);
  CHECK(count["KVM-only"] == 13);
}

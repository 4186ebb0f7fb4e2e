// The spec covers the whole catalogue: each of the 172 rows of the entry-check
// catalogue (tests/data/catalogue_rows.tsv) is a check, a noncheck or a write
// rule of the spec, named by its row id or cited by it.
#include <catch2/catch.hpp>

#include <sstream>

#include "checker.gen.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

// The spec's text without `//` comments: a row mentioned only in a comment
// is not covered.
std::string spec_without_comments() {
  std::string all;
  for (size_t i = 0; i < generated::kNumSpecFiles; ++i) {
    std::istringstream in{std::string(generated::kSpecFiles[i].text)};
    for (std::string line; std::getline(in, line);) {
      size_t c = line.find("//");
      all += (c == std::string::npos ? line : line.substr(0, c)) + "\n";
    }
  }
  return all;
}

}  // namespace

TEST_CASE("catalogue: every row of the entry-check catalogue is in the spec", "[catalogue]") {
  std::string spec = spec_without_comments();
  const ir::Model& m = *test::builtin_spec().model;
  std::istringstream rows(test::read_text(test::source_dir() + "/tests/data/catalogue_rows.tsv"));
  size_t total = 0, checks = 0;
  std::string missing;
  for (std::string line; std::getline(rows, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = test::split(line, '\t');
    REQUIRE(cols.size() == 4);
    ++total;
    const std::string& id = cols[1];
    const std::string& kind = cols[2];
    bool covered = true;
    std::istringstream needles(cols[3]);
    for (std::string n; std::getline(needles, n, '|');) covered &= spec.find(n) != std::string::npos;
    if (kind == "noncheck") {
      bool found = false;
      for (const ir::NonCheck& n : m.nonchecks) found |= n.id == id;
      covered &= found;
    }
    if (kind == "check" && covered) ++checks;
    if (!covered) missing += " " + id;
  }
  CHECK(total == 172);
  INFO("rows not in the spec:" << missing);
  CHECK(missing.empty());
}

// Golden tests for the spec compiler's errors: every tests/golden/diagnostics/
// *.vspec is a bad spec; its .expected file holds the exact diagnostics.
// Rewrite them with `vcpuspec_tests --update "[golden]"` and review the diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "front/load.hpp"
#include "support/diagnostics.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

TEST_CASE("golden: spec diagnostics", "[golden]") {
  fs::path dir = fs::path(test::source_dir()) / "tests/golden/diagnostics";
  std::vector<fs::path> specs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".vspec") specs.push_back(e.path());
  std::sort(specs.begin(), specs.end());
  REQUIRE(specs.size() >= 15);
  std::set<std::string> first_messages;
  for (const fs::path& p : specs) {
    std::string rel = "tests/golden/diagnostics/" + p.filename().string();
    auto spec = front::load_spec_sources({SourceFile{rel, test::read_text(p.string())}});
    INFO(rel);
    // Every bad spec is rejected, with at least one positioned error.
    CHECK_FALSE(spec->model);
    REQUIRE(spec->diags.has_errors());
    std::string text = render_all(spec->sources, spec->diags);
    CHECK(text.rfind(rel + ":", 0) == 0);
    first_messages.insert(text.substr(0, text.find('\n')));
    std::string diff;
    fs::path expected = p;
    expected.replace_extension(".expected");
    CHECK(test::match_golden(expected.string(), text, diff));
    if (!diff.empty()) FAIL_CHECK(diff);
  }
  // Distinct problems, not one problem fifteen times.
  CHECK(first_messages.size() == specs.size());
}

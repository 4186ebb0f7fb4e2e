// Citations a reader can follow: how each kind renders and links, what the
// front end refuses, and that every source the shipped spec cites by file and
// version was read (tests/data/cited_sources.tsv records where).
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "checker.gen.hpp"
#include "front/load.hpp"
#include "support/citation.hpp"
#include "support/diagnostics.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

Citation cite(std::string kind, std::string locator, std::string fn = "", std::string at = "", unsigned vol = 0,
              std::string detail = "") {
  Citation c;
  c.kind = std::move(kind);
  c.locator = std::move(locator);
  c.fn = std::move(fn);
  c.at = std::move(at);
  c.vol = vol;
  c.detail = std::move(detail);
  return c;
}

// The shipped spec's lines, `//` comments dropped, with their file.
std::vector<std::pair<std::string, std::string>> spec_lines() {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < generated::kNumSpecFiles; ++i) {
    std::istringstream in{std::string(generated::kSpecFiles[i].text)};
    for (std::string line; std::getline(in, line);) {
      size_t c = line.find("//");
      out.emplace_back(generated::kSpecFiles[i].path, c == std::string::npos ? line : line.substr(0, c));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("citations: each kind renders as text and opens as a link", "[citations]") {
  Citation sdm = cite("sdm", "27.3.1.2", "", "", 3, "selector fields");
  CHECK(render(sdm) == "SDM Vol.3 27.3.1.2 (selector fields)");
  CHECK(citation_url(sdm).find("intel.com") != std::string::npos);
  CHECK(render(cite("apm", "15.5.1", "", "", 2)) == "APM Vol.2 15.5.1");
  CHECK(citation_url(cite("apm", "15.5.1", "", "", 2)).find("/24593.pdf") != std::string::npos);

  Citation k = cite("linux", "arch/x86/kvm/x86.c", "kvm_set_cr0", "v7.1.3");
  CHECK(render(k) == "Linux arch/x86/kvm/x86.c kvm_set_cr0() at v7.1.3");
  CHECK(citation_url(k) == "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/arch/x86/kvm/x86.c?h=v7.1.3");
  Citation kc = cite("linux", "arch/x86/kvm/x86.c", "", "037c6bf47ba7bd5e1c44e0a3e6b1f3a39d7a2c11");
  CHECK(render(kc) == "Linux arch/x86/kvm/x86.c at 037c6bf47ba7");  // a full hash shows as 12 digits
  CHECK(citation_url(kc).find("?id=037c6bf47ba7bd5e") != std::string::npos);
  CHECK(render(cite("commit", "03a6e84069d1", "", "", 0, "KVM: x86: Clear KVM's cached guest CR3 at RESET/INIT")) ==
        "Linux commit 03a6e84069d1 (KVM: x86: Clear KVM's cached guest CR3 at RESET/INIT)");
  CHECK(citation_url(cite("kut", "x86/vmx_tests.c", "test_guest_dr7", "1da1819e49fc")) ==
        "https://gitlab.com/kvm-unit-tests/kvm-unit-tests/-/blob/1da1819e49fc/x86/vmx_tests.c");
  CHECK(citation_url(cite("bochs", "bochs/cpu/vmx.cc", "", "REL_3_0_FINAL")) ==
        "https://github.com/bochs-emu/Bochs/blob/REL_3_0_FINAL/bochs/cpu/vmx.cc");
  for (const char* kind : {"qemu", "xen", "virtualbox", "freebsd", "acrn", "crosvm", "cloud_hypervisor", "firecracker",
                           "haxm", "netbsd"})
    CHECK_FALSE(citation_url(cite(kind, "a/b.c", "", "v1")).empty());
}

TEST_CASE("citations: what a malformed one is told", "[citations]") {
  CHECK(citation_problem(cite("sdm", "2.5", "", "", 3)).empty());
  CHECK_THAT(citation_problem(cite("sdm", "2.5")), Catch::Contains("needs `vol N` with N from 1 to 4"));
  CHECK_THAT(citation_problem(cite("apm", "15.5", "", "", 9)), Catch::Contains("it says 9"));
  CHECK_THAT(citation_problem(cite("sdm", "2.5", "f", "", 3)), Catch::Contains("a manual has no `fn` or `at`"));
  CHECK_THAT(citation_problem(cite("linux", "arch/x86/kvm/x86.c", "kvm_set_cr0")),
             Catch::Contains("needs `at \"TAG\"` or `at \"COMMIT\"`"));
  CHECK_THAT(citation_problem(cite("linux", "/usr/src/x86.c", "", "v6.1")), Catch::Contains("not a path inside"));
  CHECK_THAT(citation_problem(cite("commit", "xyz")), Catch::Contains("not a commit hash"));
  CHECK_THAT(citation_problem(cite("sdn", "2.5", "", "", 3)), Catch::Contains("unknown citation kind 'sdn'"));
}

TEST_CASE("citations: the front end reads them into the model, checked, with their links", "[citations][front]") {
  auto s = front::load_spec_sources({SourceFile{"t.vspec", R"(
register CR0 : 64 { PE 0; PG 31; }
with cite sdm "2.5" vol 3 "CR0" {
  check A.B "b" cite linux "arch/x86/kvm/x86.c" fn kvm_is_valid_cr0 at "v7.1.3" scope arch assert CR0.PG -> CR0.PE;
}
)"}});
  INFO(render_all(s->sources, s->diags));
  REQUIRE(s->model);
  const ir::Check& c = s->model->checks.at(0);
  CHECK(c.cite == "SDM Vol.3 2.5 (CR0); Linux arch/x86/kvm/x86.c kvm_is_valid_cr0() at v7.1.3");
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[1].fn == "kvm_is_valid_cr0");

  auto bad = front::load_spec_sources({SourceFile{"t.vspec", R"(
register CR0 : 64 { PE 0; PG 31; }
check A.B "b" cite linux "arch/x86/kvm/x86.c" fn kvm_is_valid_cr0 scope arch assert CR0.PG -> CR0.PE;
check A.C "c" cite sdm "2.5" volume 3 scope arch assert CR0.PE;
)"}});
  CHECK_FALSE(bad->model);
  std::string text = render_all(bad->sources, bad->diags);
  CHECK_THAT(text, Catch::Contains("t.vspec:3:20: error: cite linux \"arch/x86/kvm/x86.c\" needs `at"));
  CHECK_THAT(text, Catch::Contains("t.vspec:4:30: error: unknown citation attribute 'volume'"));
}

// A citation of a file at a version says someone read it there: the table
// records the copy read and the line where the function starts.
TEST_CASE("citations: every file the shipped spec cites at a version has its reading recorded", "[citations]") {
  std::set<std::tuple<std::string, std::string, std::string, std::string>> recorded;
  std::istringstream rows(test::read_text(test::source_dir() + "/tests/data/cited_sources.tsv"));
  for (std::string line; std::getline(rows, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("kind\t", 0) == 0) continue;
    std::vector<std::string> cols = test::split(line, '\t');
    REQUIRE(cols.size() == 6);
    CHECK_FALSE(cols[4].empty());
    CHECK_FALSE(cols[5].empty());
    recorded.emplace(cols[0], cols[1], cols[2], cols[3]);
  }
  const std::regex code_cite(R"re(cite (linux|kut|qemu|bochs|xen|virtualbox|freebsd|acrn|crosvm|cloud_hypervisor|firecracker|haxm|netbsd) "([^"]*)"(?: fn (\w+))? at "([^"]*)")re");
  size_t cited = 0;
  std::string unread;
  for (const auto& [file, line] : spec_lines())
    for (std::sregex_iterator it(line.begin(), line.end(), code_cite), end; it != end; ++it) {
      ++cited;
      if (!recorded.count({(*it)[1], (*it)[2], (*it)[3], (*it)[4]})) unread += "\n  " + file + ": " + it->str();
    }
  CHECK(cited >= 100);
  INFO("cited at a version but not recorded in tests/data/cited_sources.tsv:" << unread);
  CHECK(unread.empty());
}

// The spec cites sources a user can open: no free-text citation is left.
TEST_CASE("citations: no free-text citation in the shipped spec", "[citations]") {
  std::string free;
  for (const auto& [file, line] : spec_lines())
    if (line.find("cite \"") != std::string::npos) free += "\n  " + file + ": " + line;
  INFO("free-text citations:" << free);
  CHECK(free.empty());
}

// The hypervisor model is read from the kernel, not recalled: every op and
// flow in spec/kvm names the function it models and the version it was read
// at (the rows of tests/data/cited_sources.tsv say where).
TEST_CASE("citations: every KVM op and flow cites the kernel function it was read from", "[citations]") {
  const std::regex decl(R"(^(op|flow) ([\w.]+))");
  const std::regex read_at(R"re(cite linux "[^"]+" fn \w+ at "v\d[^"]*")re");
  std::string name, header, missing;
  size_t decls = 0;
  auto finish = [&] {
    if (!name.empty() && !std::regex_search(header, read_at)) missing += "\n  " + name;
    name.clear();
  };
  for (const auto& [file, line] : spec_lines()) {
    if (file.rfind("spec/kvm/", 0) != 0) continue;
    std::smatch m;
    if (std::regex_search(line, m, decl)) {
      finish();
      name = file + ": " + m[2].str();
      header.clear();
      ++decls;
    }
    if (!name.empty()) {
      header += line + "\n";
      if (line.find('{') != std::string::npos) finish();
    }
  }
  finish();
  CHECK(decls >= 40);
  INFO("ops and flows without a `cite linux PATH fn F at VERSION`:" << missing);
  CHECK(missing.empty());
}

namespace {

// Every text file of the repository (build trees and .git left out), relative.
std::vector<std::string> repository_files() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  const fs::path root(test::source_dir());
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || name.rfind("build", 0) == 0)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    static const std::set<std::string> text = {".md", ".vspec", ".cpp", ".hpp", ".tsv", ".json", ".sh", ".txt", ".g4", ".cmake"};
    if (text.count(it->path().extension().string())) out.push_back(fs::relative(it->path(), root).generic_string());
  }
  return out;
}

}  // namespace

// Nothing in the repository cites a file a user of it does not have: no
// reading notes from outside, and every repository path named in the docs, the
// spec and the code exists.
TEST_CASE("citations: nothing cites a file outside the repository", "[citations]") {
  namespace fs = std::filesystem;
  const std::string root = test::source_dir();
  // The reading notes the project started from; they never shipped with it.
  const std::vector<std::string> outside = {"kvm_flows" ".md", "entry_checks" ".md", "kvm_live" ".md",
                                            "shared/" "reference"};
  // A path into one of the repository's own folders, as the docs and comments name them.
  const std::regex own_path(R"(\b((?:spec|docs|tests|checker|gen|grammar|scripts|bench)/[\w./+-]*\.(?:md|vspec|cpp|hpp|tsv|json|sh|txt|g4|svg|dot))(?![\w.]))");
  std::string bad;
  size_t files = 0, paths = 0;
  for (const std::string& rel : repository_files()) {
    ++files;
    std::istringstream in(test::read_text(root + "/" + rel));
    size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      for (const std::string& o : outside)
        if (line.find(o) != std::string::npos) bad += "\n  " + rel + ":" + std::to_string(n) + ": names " + o;
      for (std::sregex_iterator it(line.begin(), line.end(), own_path), end; it != end; ++it) {
        std::string path = (*it)[1];
        if (path.find('*') != std::string::npos || path.find("build/") != std::string::npos) continue;
        // Part of a URL: a path in another repository.
        size_t at = static_cast<size_t>(it->position(1)), word = line.find_last_of(" \t(<", at);
        if (line.substr(word == std::string::npos ? 0 : word, at - (word == std::string::npos ? 0 : word)).find("://") !=
            std::string::npos)
          continue;
        ++paths;
        if (!fs::exists(fs::path(root) / path)) bad += "\n  " + rel + ":" + std::to_string(n) + ": " + path + " does not exist";
      }
    }
  }
  CHECK(files > 100);
  CHECK(paths > 100);
  INFO("citations of files a user of the repository does not have:" << bad);
  CHECK(bad.empty());
}

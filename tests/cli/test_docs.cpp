// The docs cannot drift: every `$ vcpuspec ...` command in a fenced block of
// README.md and docs/*.md runs (a shell, from the source dir, the built
// binary first on PATH, stderr with stdout), and prints what the block shows
// under it. In the shown output a line "..." stands for any number of lines
// and "..." inside a line for any text; a block after `<!-- excerpt -->` shows
// some of the output's lines, in order. `; echo $?` shows the exit code.
// docs/tutorial.md has its own test (test_tutorial.cpp). A command that needs
// /dev/kvm is skipped, said with the reason, where the host has none.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "builtin/builtin_spec.hpp"
#include "checker.gen.hpp"
#include "readers/detect.hpp"
#include "report/names_report.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

namespace {

struct Command {
  std::string file;
  size_t line = 0;   // 1-based, of the "$ " line
  std::string shell;  // what runs
  std::vector<std::string> shown;
  bool excerpt = false;
};

// "$ vcpuspec ..." and "$ ./build/vcpuspec ..." lines of fenced blocks, with
// the lines under each up to the next "$ " or the fence.
std::vector<Command> commands_in(const std::string& file, const std::string& text) {
  std::vector<Command> out;
  std::istringstream in(text);
  bool open = false, excerpt_next = false, excerpt = false;
  Command* cur = nullptr;
  size_t no = 0;
  for (std::string line; std::getline(in, line);) {
    ++no;
    if (line.rfind("```", 0) == 0) {
      open = !open;
      excerpt = open && excerpt_next;
      excerpt_next = false;
      cur = nullptr;
      continue;
    }
    if (!open) {
      if (line.find("<!-- excerpt -->") != std::string::npos) excerpt_next = true;
      else if (!line.empty()) excerpt_next = false;
      continue;
    }
    if (line.rfind("$ ", 0) == 0) {
      cur = nullptr;
      std::string cmd = line.substr(2);
      if (cmd.rfind("vcpuspec ", 0) != 0 && cmd.rfind("./build/vcpuspec ", 0) != 0) continue;
      out.push_back(Command{file, no, cmd, {}, excerpt});
      cur = &out.back();
    } else if (cur) {
      cur->shown.push_back(line);
    }
  }
  return out;
}

// `line` matches `pattern`, where "..." in the pattern matches any text.
bool glob_line(const std::string& pattern, const std::string& line) {
  size_t star = pattern.find("...");
  if (star == std::string::npos) return pattern == line;
  if (line.compare(0, star, pattern, 0, star) != 0) return false;
  std::string rest = pattern.substr(star + 3);
  for (size_t at = star; at <= line.size(); ++at)
    if (glob_line(rest, line.substr(at))) return true;
  return false;
}

// The output matches the shown lines: "..." lines match any run of lines.
bool match_lines(const std::vector<std::string>& shown, size_t s, const std::vector<std::string>& out, size_t o) {
  if (s == shown.size()) return o == out.size();
  if (shown[s] == "...") {
    for (size_t k = o; k <= out.size(); ++k)
      if (match_lines(shown, s + 1, out, k)) return true;
    return false;
  }
  return o < out.size() && glob_line(shown[s], out[o]) && match_lines(shown, s + 1, out, o + 1);
}

// An excerpt: each shown line matches an output line after the previous one's.
bool match_excerpt(const std::vector<std::string>& shown, const std::vector<std::string>& out) {
  size_t o = 0;
  for (const std::string& s : shown) {
    while (o < out.size() && !glob_line(s, out[o])) ++o;
    if (o == out.size()) return false;
    ++o;
  }
  return true;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool kvm_usable() {
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

TEST_CASE("docs: every command in README.md and docs/ prints what the docs show", "[docs]") {
  const std::string root = test::source_dir();
  const std::string bin = VCPUSPEC_BINARY;
  const std::string bindir = fs::path(bin).parent_path().string();
  std::vector<std::string> files = {"README.md"};
  for (const auto& e : fs::directory_iterator(root + "/docs"))
    if (e.path().extension() == ".md" && e.path().filename() != "tutorial.md")
      files.push_back("docs/" + e.path().filename().string());
  std::sort(files.begin(), files.end());
  size_t ran = 0;
  for (const std::string& f : files) {
    for (const Command& c : commands_in(f, test::read_text(root + "/" + f))) {
      INFO(c.file << ":" << c.line << ": $ " << c.shell);
      if (c.shell.find("vcpuspec capture") != std::string::npos && !kvm_usable()) {
        WARN("skipped " << c.file << ":" << c.line << ": needs a usable /dev/kvm");
        continue;
      }
      std::string shell = c.shell;
      if (shell.rfind("./build/vcpuspec ", 0) == 0) shell = bin + shell.substr(16);
      test::RunResult r = test::run_program("/bin/sh", {"-c", "cd '" + root + "' && PATH='" + bindir + "':\"$PATH\" && { " + shell + "\n} 2>&1"});
      CHECK(r.exit_code >= 0);
      std::vector<std::string> out = lines_of(r.out);
      bool ok = c.excerpt ? match_excerpt(c.shown, out) : match_lines(c.shown, 0, out, 0);
      if (!ok) FAIL_CHECK("the output differs from the docs; it was:\n" << r.out);
      ++ran;
    }
  }
  CHECK(ran >= 15);
}

TEST_CASE("docs: the doc test's matching of elisions", "[docs]") {
  CHECK(glob_line("prove: ... obligations (digest ...)", "prove: 65 obligations (digest 4bce698db0d2c885)"));
  CHECK_FALSE(glob_line("prove: ... obligations", "prove: 65 obligations on"));
  CHECK(match_lines({"a", "...", "d"}, 0, {"a", "b", "c", "d"}, 0));
  CHECK(match_lines({"...", "d"}, 0, {"d"}, 0));
  CHECK_FALSE(match_lines({"a", "d"}, 0, {"a", "b", "d"}, 0));
  CHECK(match_excerpt({"b", "d"}, {"a", "b", "c", "d"}));
  CHECK_FALSE(match_excerpt({"d", "b"}, {"a", "b", "c", "d"}));
}

TEST_CASE("docs: docs/names.md lists every name with the formats that gave it in the corpus", "[docs][golden]") {
  // Which dump formats gave each name somewhere in tests/data/dumps.
  std::map<std::string, std::set<std::string>> filled_by;
  const readers::Slots slots = test::slots();
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/tests/data/dumps")) {
    if (e.path().extension() == ".md") continue;
    auto r = readers::read_any(test::read_text(e.path().string()), e.path().filename().string(), "auto", slots, {});
    if (auto* inputs = std::get_if<readers::Inputs>(&r))
      for (const readers::StateInput& in : *inputs)
        for (size_t i = 0; i < slots.size(); ++i)
          if (in.origin[i] == readers::Origin::Given) filled_by[slots[i].name].insert(in.format);
  }
  std::vector<report::ModeName> modes;
  for (const ir::Mode& m : test::builtin_spec().model->modes) modes.push_back({m.id, m.text});
  const std::string doc =
      "# Names\n\n"
      "Every name an input or `--set` gives, as the spec declares it: generated from the spec and the dump corpus by "
      "`tests/vcpuspec_tests --update \"docs: docs/names.md*\"`, and kept current by that test. `vcpuspec explain "
      "--fields` prints the same list. The state JSON (`vcpuspec.state/1`, docs/cli.md) can give every state field "
      "and configuration name; *read from* lists the dump formats whose readers gave the name in some dump of "
      "`tests/data/dumps/` (a reader may infer more: its notes say which). Bits: the width, or the range of a "
      "parameter; a default that follows another name is `follows NAME` (docs/cli.md).\n\n" +
      report::names_markdown(slots, modes, filled_by);
  std::string diff;
  CHECK(test::match_golden(test::source_dir() + "/docs/names.md", doc, diff));
  if (!diff.empty()) FAIL_CHECK(diff);
}

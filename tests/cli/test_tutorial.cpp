// docs/tutorial.md works as written: each spec file it shows is the file in
// docs/tutorial/, and each command in a `console` block prints what the block
// shows and exits as it says (`[exit N]`, else 0). Output files (`-o PATH`) go
// to a scratch directory and must be drawings.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

namespace {

struct Block {
  std::string lang;
  std::vector<std::string> lines;
};

std::vector<Block> fenced_blocks(const std::string& md) {
  std::vector<Block> out;
  std::istringstream in(md);
  Block* open = nullptr;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      if (open) {
        open = nullptr;
      } else {
        out.push_back(Block{line.substr(3), {}});
        open = &out.back();
      }
    } else if (open) {
      open->lines.push_back(line);
    }
  }
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

TEST_CASE("tutorial: the spec files it shows are the files it uses", "[tutorial]") {
  const std::string root = test::source_dir();
  size_t shown = 0;
  for (const Block& b : fenced_blocks(test::read_text(root + "/docs/tutorial.md"))) {
    if (b.lang != "vspec" || b.lines.empty() || b.lines[0].rfind("// docs/tutorial/", 0) != 0) continue;
    std::string text;
    for (const std::string& l : b.lines) text += l + "\n";
    INFO(b.lines[0]);
    CHECK(text == test::read_text(root + "/" + b.lines[0].substr(3)));
    ++shown;
  }
  CHECK(shown == 3);
}

TEST_CASE("tutorial: every command prints what the tutorial shows", "[tutorial]") {
  const std::string root = test::source_dir();
  const fs::path scratch = fs::temp_directory_path() / ("vcpuspec_tutorial_" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  size_t commands = 0, drawings = 0;
  for (const Block& b : fenced_blocks(test::read_text(root + "/docs/tutorial.md"))) {
    if (b.lang != "console") continue;
    for (size_t i = 0; i < b.lines.size(); ++i) {
      const std::string& line = b.lines[i];
      if (line.rfind("$ ./build/vcpuspec ", 0) != 0) continue;
      std::vector<std::string> args = words(line.substr(19));
      std::vector<fs::path> outputs;
      for (size_t a = 0; a + 1 < args.size(); ++a)
        if (args[a] == "-o") {
          outputs.push_back(scratch / fs::path(args[a + 1]).filename());
          args[a + 1] = outputs.back().string();
        }
      std::string expected;
      int exit_code = 0;
      size_t j = i + 1;
      for (; j < b.lines.size() && b.lines[j].rfind("$ ", 0) != 0; ++j) {
        if (b.lines[j].rfind("[exit ", 0) == 0) exit_code = std::stoi(b.lines[j].substr(6));
        else expected += b.lines[j] + "\n";
      }
      INFO(line);
      test::RunResult r = test::run_cli(args);
      CHECK(r.out == expected);
      CHECK(r.exit_code == exit_code);
      CHECK(r.err.empty());
      for (const fs::path& p : outputs) {
        std::string svg = fs::exists(p) ? test::read_text(p.string()) : "";
        CHECK(svg.find("<svg") != std::string::npos);
        ++drawings;
      }
      ++commands;
    }
  }
  fs::remove_all(scratch);
  CHECK(commands == 6);
  CHECK(drawings == 3);
}

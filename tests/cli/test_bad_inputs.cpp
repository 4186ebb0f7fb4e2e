// The bad-input corpus (tests/data/bad/): malformed specs and state files,
// truncated, binary, huge, non-UTF-8, wrong types, unknown and duplicate
// fields. Each must give one clear error naming the file (and line where
// there is one), exit 3, print nothing on stdout, finish within a second, and
// run within 1 GiB of address space.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

namespace {

test::RunResult run_bounded(const std::vector<std::string>& args) {
#ifdef VCPUSPEC_SANITIZED
  return test::run_cli(args);  // ASan reserves terabytes of address space
#else
  std::vector<std::string> sh = {"-c", "ulimit -v 1048576 && exec \"$0\" \"$@\"", VCPUSPEC_BINARY};
  sh.insert(sh.end(), args.begin(), args.end());
  return test::run_program("/bin/sh", sh);
#endif
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_one_error(const std::vector<std::string>& command, const std::string& path, bool one_line) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> args = command;
  args.push_back(path);
  auto r = run_bounded(args);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(path << "\n" << r.err.substr(0, 400));
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(path + ":", 0) == 0);
  CHECK(r.err.find(": error: ") != std::string::npos);
  if (one_line) CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
#ifndef VCPUSPEC_SANITIZED
  CHECK(seconds < 1.0);
#endif
}

}  // namespace

TEST_CASE("bad inputs: state files", "[bad]") {
  auto files = files_in(fs::path(test::source_dir()) / "tests/data/bad/state");
  CHECK(files.size() >= 45);
  for (const fs::path& p : files) expect_one_error({"check"}, "tests/data/bad/state/" + p.filename().string(), true);
}

TEST_CASE("bad inputs: traces", "[bad][trace]") {
  auto files = files_in(fs::path(test::source_dir()) / "tests/data/bad/trace");
  CHECK(files.size() >= 20);
  for (const fs::path& p : files)
    expect_one_error({"check", "--trace"}, "tests/data/bad/trace/" + p.filename().string(), true);
}

TEST_CASE("bad inputs: spec files", "[bad]") {
  auto files = files_in(fs::path(test::source_dir()) / "tests/data/bad/spec");
  CHECK(files.size() >= 25);
  for (const fs::path& p : files) expect_one_error({"lint"}, "tests/data/bad/spec/" + p.filename().string(), false);
}

TEST_CASE("bad inputs: 10 MB lines", "[bad]") {
  // Generated here rather than committed: a 10 MB line in a state file and
  // in a spec (the spec is over the 4 MiB limit; the state file is not).
  fs::path dir = fs::temp_directory_path() / "vcpuspec_bad_big";
  fs::create_directories(dir);
  std::string line(10'000'000, 'x');
  {
    std::ofstream(dir / "long_source.json") << "{\"schema\": \"vcpuspec.state/1\", \"source\": \"" << line
                                            << "\", \"state\": {\"CR9\": \"0x0\"}}\n";
    std::ofstream(dir / "long_line.vspec") << "register CR0 : 64 \"" << line << "\";\n";
    std::ofstream(dir / "long_value.json") << "{\"schema\": \"vcpuspec.state/1\", \"state\": {\"CR0\": \"0x"
                                           << line.substr(0, 1'000'000) << "\"}}\n";
  }
  expect_one_error({"check"}, (dir / "long_source.json").string(), true);
  expect_one_error({"check"}, (dir / "long_value.json").string(), true);
  expect_one_error({"lint"}, (dir / "long_line.vspec").string(), true);
  fs::remove_all(dir);
}

// Shared test helpers: paths, running the CLI, goldens, the spec model.
#pragma once
#include <random>
#include <string>
#include <vector>

#include "front/load.hpp"
#include "readers/input.hpp"
#include "runtime/state.hpp"

namespace vcpuspec::test {

std::string source_dir();
std::string read_text(const std::string& path);
// The fields of one line of a table (`sep` '\t' for the TSVs under tests/data).
std::vector<std::string> split(const std::string& s, char sep);

// Golden files: compare `actual` with the file, or rewrite it under --update.
void set_update_goldens(bool on);
bool update_goldens();
// True when equal (or updated); on a difference `diff` describes the first one.
bool match_golden(const std::string& path, const std::string& actual, std::string& diff);

// Writes `text` to `name` in the system's temporary directory; its path.
std::string write_temp_file(const std::string& name, const std::string& text);

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs the built vcpuspec with `args` (cwd: the source dir), feeding `stdin_text`.
RunResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "");
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& stdin_text = "");

// The built-in spec (the generated checker's source), parsed once.
const front::LoadedSpec& builtin_spec();

// The generated slot table.
readers::Slots slots();

// An input with every slot present, all zero.
readers::StateInput full_input();

}  // namespace vcpuspec::test

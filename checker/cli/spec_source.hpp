// Which spec a command works on: files named on the command line, or the
// spec built into the binary (the one the generated checker came from).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "front/load.hpp"

namespace vcpuspec::cli {

// Loads and checks the spec; prints its diagnostics to stderr (a user's
// spec: every one; the built-in spec: errors only). `warnings` false: not
// its warnings, which the caller reports (lint counts them as findings).
// Null (and `exit` = kBadInput) when it has errors.
std::unique_ptr<front::LoadedSpec> load_spec(const std::vector<std::string>& paths, int& exit, bool warnings = true);
// "the built-in spec (digest ...)" or the paths.
std::string spec_name(const std::vector<std::string>& paths);

// Writes a report to `path`, or to stdout when `path` is empty. False (and
// one `cannot write` line on stderr) when the file cannot be written.
bool write_output(const std::string& path, const std::string& text);

// Reads a file, or stdin for "-", with a size limit. False with `error` set.
bool read_input(const std::string& path, std::string& out, std::string& error);

}  // namespace vcpuspec::cli

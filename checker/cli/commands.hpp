// The subcommands: each registers its options on the CLI11 app and runs.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace vcpuspec::cli {

// Each returns the function that runs the command once options are parsed.
std::function<int()> add_check(CLI::App& app);
std::function<int()> add_prove(CLI::App& app);
std::function<int()> add_lint(CLI::App& app);
std::function<int()> add_explain(CLI::App& app);
std::function<int()> add_render(CLI::App& app);
std::function<int()> add_witness(CLI::App& app);
std::function<int()> add_capture(CLI::App& app);
std::function<int()> add_compare(CLI::App& app);

}  // namespace vcpuspec::cli

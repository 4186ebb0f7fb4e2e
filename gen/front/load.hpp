// Loading a spec: files and directories (every *.vspec below them, in path
// order) or in-memory sources, through the parser and sema.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "support/diagnostics.hpp"
#include "support/source.hpp"

namespace vcpuspec::front {

struct LoadedSpec {
  SourceManager sources;
  Diagnostics diags;
  std::unique_ptr<ir::Model> model;  // null when there were errors
};

// `paths` may name files or directories. Unreadable paths are errors.
std::unique_ptr<LoadedSpec> load_spec_paths(const std::vector<std::string>& paths);
// Sources already in memory (the spec embedded in the binary, tests).
std::unique_ptr<LoadedSpec> load_spec_sources(const std::vector<SourceFile>& files);

// The *.vspec files under `dir`, sorted by path.
std::vector<std::string> find_spec_files(const std::string& dir);

}  // namespace vcpuspec::front

// The spec the generated checker was built from (embedded in
// spec_sources.gen.cpp), as sources the front end can load again: the CLI's
// built-in spec, the tests' and the benchmarks' model.
#pragma once
#include <vector>

#include "support/source.hpp"

namespace vcpuspec::builtin {

std::vector<SourceFile> spec_files();

}  // namespace vcpuspec::builtin

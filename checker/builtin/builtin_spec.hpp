// The spec the generated checker was built from (embedded in
// spec_sources.gen.cpp), as sources the front end can load again: the CLI's
// built-in spec, the tests' and the benchmarks' model.
#pragma once
#include <vector>

#include "front/load.hpp"
#include "support/source.hpp"

namespace vcpuspec::builtin {

std::vector<SourceFile> spec_files();
// The same, loaded once (tests, benchmarks). Throws if it does not load: the
// build checked it, so that is a bug.
const front::LoadedSpec& spec();

}  // namespace vcpuspec::builtin

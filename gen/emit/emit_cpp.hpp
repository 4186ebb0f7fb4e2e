// The C++ backend: the resolved model -> the generated checker (one
// function per check, its explanation, the RESET/INIT states and the
// metadata tables). Text only; deterministic byte for byte.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "ir/ir.hpp"
#include "support/source.hpp"

namespace vcpuspec::emit {

struct GeneratedChecker {
  std::string header;  // checker.gen.hpp
  std::string source;  // checker.gen.cpp
  std::string specs;   // spec_sources.gen.cpp: the spec text, embedded
  std::string decls;   // checks.gen.hpp: the check functions the tables point at
  // checks_<dir>_<file>.gen.cpp (evaluation) and explain_<dir>_<file>.gen.cpp
  // (explanations, expected states), two per spec file, empty of checks or
  // not: (file name, text), sorted by file name.
  std::vector<std::pair<std::string, std::string>> units;
};

// `files` are the spec sources (paths as they should appear in the banner
// and in the embedded copy, e.g. "spec/arch/registers.vspec").
// `ns` is the C++ namespace of the output ("vcpuspec::generated"); tests
// generate other specs into other namespaces.
GeneratedChecker emit_checker(const ir::Model& model, const std::vector<SourceFile>& files,
                              const std::string& ns = "vcpuspec::generated");

// Whether `ns` is a valid C++ namespace path (identifiers joined by ::).
bool valid_namespace(const std::string& ns);

}  // namespace vcpuspec::emit

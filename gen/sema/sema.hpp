// Semantic analysis: parsed files -> the resolved model (gen/ir).
// Reports unknown names, width mismatches, bad bitfields, duplicate ids,
// writes to reserved bits and missing citations, all in one run.
#pragma once
#include <memory>
#include <vector>

#include "ast/ast.hpp"
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::sema {

// Returns the model, or null when any error was reported.
std::unique_ptr<ir::Model> analyze(const std::vector<ast::SpecFile>& files, Diagnostics& diags);

}  // namespace vcpuspec::sema

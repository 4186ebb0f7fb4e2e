// The parser: VSpec text -> ast::SpecFile. The only code that sees ANTLR;
// nothing ANTLR-specific crosses this header.
#pragma once
#include "ast/ast.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::front {

// Parses file `file_id` of `sm`. Syntax errors go to `diags` (several per run
// where ANTLR can recover); the returned tree holds what could be read.
ast::SpecFile parse_file(const SourceManager& sm, uint32_t file_id, Diagnostics& diags);

}  // namespace vcpuspec::front

// A compact text for a check's expressions, so that the generated checker
// can carry their meaning and the checker rebuild them without parsing the
// spec: the exact pass's Z3 lowering (engine/decide_exactly) then costs a
// Z3 context, not an ANTLR parse of every spec file (most of a `check`
// process's time when it loaded the spec). Calls are written as their
// inlined bodies; instructions' Legal/After never occur in checks.
#pragma once
#include <string>
#include <string_view>

#include "ir/ir.hpp"

namespace vcpuspec::ir {

std::string write_term(const Expr& e);
// Throws std::invalid_argument on text write_term did not produce.
ExprPtr read_term(std::string_view text);

}  // namespace vcpuspec::ir

// A solver configured with the user's limits, and the mapping of Z3's
// answers to Outcome. Private to vcpuspec_z3.
#pragma once
#include <z3++.h>

#include <string>
#include <vector>

#include "z3/results.hpp"

namespace vcpuspec::smt {

z3::solver make_solver(z3::context& ctx, const Limits& limits);

// Checks `s`; for unknown, `reason` gets Z3's explanation ("timeout", "max. resource limit exceeded").
z3::check_result check(z3::solver& s, std::string& reason);
z3::check_result check(z3::solver& s, const z3::expr_vector& assumptions, std::string& reason);

// Whether `name` is among the names an option selected; none selects all.
bool selected(const std::vector<std::string>& only, const std::string& name);

// A minimal subset of an unsat core (of assumption literals): every member
// is needed for `s` to stay unsat.
std::vector<z3::expr> shrink_core(z3::solver& s, const z3::expr_vector& core);

}  // namespace vcpuspec::smt

#include "z3/solve.hpp"

#include <algorithm>

namespace vcpuspec::smt {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Proved: return "proved";
    case Outcome::Failed: return "failed";
    case Outcome::Unknown: return "unknown";
  }
  return "unknown";
}

bool selected(const std::vector<std::string>& only, const std::string& name) {
  return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

z3::solver make_solver(z3::context& ctx, const Limits& limits) {
  // Quantifier-free bit-vectors: the QF_BV tactic bit-blasts, which is what
  // these small formulas want, and keeps runs deterministic.
  z3::solver s(ctx, "QF_BV");
  z3::params p(ctx);
  if (limits.timeout_ms) p.set("timeout", limits.timeout_ms);
  if (limits.rlimit) p.set("rlimit", static_cast<unsigned>(std::min<uint64_t>(limits.rlimit, 0xFFFFFFFFu)));
  if (limits.memory_mb) p.set("max_memory", limits.memory_mb);
  s.set(p);
  return s;
}

static z3::check_result finish(z3::solver& s, z3::check_result r, std::string& reason) {
  if (r == z3::unknown) {
    reason = s.reason_unknown();
    if (reason.empty()) reason = "unknown";
  }
  return r;
}

z3::check_result check(z3::solver& s, std::string& reason) {
  try {
    return finish(s, s.check(), reason);
  } catch (const z3::exception& e) {
    reason = std::string("Z3 error: ") + e.msg();
    return z3::unknown;
  }
}

z3::check_result check(z3::solver& s, const z3::expr_vector& assumptions, std::string& reason) {
  try {
    return finish(s, s.check(assumptions), reason);
  } catch (const z3::exception& e) {
    reason = std::string("Z3 error: ") + e.msg();
    return z3::unknown;
  }
}

std::vector<z3::expr> shrink_core(z3::solver& s, const z3::expr_vector& core) {
  std::vector<z3::expr> keep;
  for (unsigned k = 0; k < core.size(); ++k) keep.push_back(core[k]);
  for (size_t i = 0; i < keep.size();) {
    z3::expr_vector trial(s.ctx());
    for (size_t j = 0; j < keep.size(); ++j)
      if (j != i) trial.push_back(keep[j]);
    std::string why;
    if (check(s, trial, why) == z3::unsat) keep.erase(keep.begin() + static_cast<long>(i));
    else ++i;
  }
  return keep;
}

}  // namespace vcpuspec::smt

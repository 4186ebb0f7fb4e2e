#include "z3/completion.hpp"

#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

bool verdict_forced(const ir::Model& model, const ir::Check& chk, const KnownValues& known, ForcedVerdict verdict) {
  z3::context ctx;
  Encoder enc(ctx, model);
  Valuation s = enc.state_vars("s");
  z3::solver sv = make_solver(ctx, Limits{});
  for (ir::SlotId id = 0; id < model.slots.size(); ++id)
    if (known.known[id]) sv.add(s[id] == enc.num(known.value[id], model.slot(id).width));
  z3::expr when = chk.when ? enc.pred(*chk.when, s) : ctx.bool_val(true);
  z3::expr ok = enc.pred(*chk.assertion, s);
  // Look for a completion with a different verdict.
  switch (verdict) {
    case ForcedVerdict::NotApplicable: sv.add(when); break;
    case ForcedVerdict::Pass: sv.add(when && !ok); break;
    case ForcedVerdict::Fail: sv.add(!when || ok); break;
  }
  std::string reason;
  return check(sv, reason) == z3::unsat;
}

}  // namespace vcpuspec::smt

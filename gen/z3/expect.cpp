#include "z3/expect.hpp"

#include <set>

#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

const char* field_match_name(FieldMatch m) {
  switch (m) {
    case FieldMatch::Match: return "match";
    case FieldMatch::Mismatch: return "mismatch";
    case FieldMatch::Conflict: return "conflict";
    case FieldMatch::NotCompared: return "not-compared";
  }
  return "?";
}

namespace {

std::string piece_cites(const ir::StateDef& def, ir::SlotId id) {
  std::string out;
  if (!def.init[id]) return out;
  std::set<std::string> seen;
  for (const ir::Piece& p : def.init[id]->pieces)
    if (!p.cite.empty() && !p.implicit && seen.insert(p.cite).second)
      out += (out.empty() ? "" : "; ") + p.cite;
  return out;
}

}  // namespace

ExpectReport compare_expected(const ir::Model& model, const ir::StateDef& def, const KnownValues& state,
                              const KnownValues* prev_given, const Limits& limits) {
  ExpectReport rep;
  rep.state = def.name;
  z3::context ctx;
  Encoder enc(ctx, model);
  Valuation prev = enc.state_vars("prev");
  z3::expr base = enc.config_axioms();
  for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
    const ir::Slot& s = model.slot(id);
    if (!ir::is_state(s.kind) && state.known[id]) base = base && enc.config_var(id) == enc.num(state.value[id], s.width);
    if (def.parametric() && ir::is_state(s.kind) && prev_given && prev_given->known[id])
      base = base && prev[id] == enc.num(prev_given->value[id], s.width);
  }
  // Without --before, the state before INIT is any legal state.
  if (def.parametric() && !prev_given) base = base && enc.legal(prev);
  Valuation expect = enc.apply_state(def, def.parametric() ? &prev : nullptr, "expect");

  std::string reason;
  {
    z3::solver sv = make_solver(ctx, limits);
    sv.add(base);
    auto r = check(sv, reason);
    if (r == z3::unknown) { rep.reason = reason; return rep; }
    if (r == z3::unsat) {
      rep.outcome = Outcome::Failed;
      rep.reason = prev_given ? "the configuration and the --before state are inconsistent with the spec"
                              : "the configuration given is outside the spec's ranges";
      return rep;
    }
  }

  // One tracked literal per compared field.
  std::vector<z3::expr> matches;
  std::vector<size_t> compared;  // indexes into rep.fields
  for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
    const ir::Slot& s = model.slot(id);
    if (!ir::is_state(s.kind)) continue;
    FieldComparison fc;
    fc.slot = id;
    fc.field = s.name;
    fc.width = s.width;
    fc.cite = piece_cites(def, id);
    fc.care = def.init[id] ? def.init[id]->care_mask() : 0;
    if (!state.known[id]) {
      fc.why = "not in the input";
    } else if (fc.care == 0) {
      fc.actual = state.value[id];
      fc.why = def.name + " leaves it unspecified";
    } else {
      fc.actual = state.value[id];
      z3::expr mask = enc.num(fc.care, s.width);
      matches.push_back((expect[id] & mask) == enc.num(state.value[id] & fc.care, s.width));
      compared.push_back(rep.fields.size());
    }
    rep.fields.push_back(std::move(fc));
  }

  // The expected value of field `fi` under `extra`: unique, a few, or "depends".
  auto expected_text = [&](size_t fi, const z3::expr& extra) -> std::string {
    FieldComparison& fc = rep.fields[fi];
    z3::expr term = expect[fc.slot] & enc.num(fc.care, fc.width);
    std::vector<uint64_t> seen;
    z3::solver sv = make_solver(ctx, limits);
    sv.add(base && extra);
    for (int k = 0; k < 5; ++k) {
      std::string why;
      if (check(sv, why) != z3::sat) break;
      uint64_t v = Encoder::value_of(sv.get_model().eval(term, true));
      seen.push_back(v);
      sv.add(term != enc.num(v, fc.width));
    }
    if (seen.empty()) return "none (inconsistent)";
    std::string mask_note = fc.care == ir::mask_of(fc.width) ? "" : " (bits " + ir::format_value(fc.care, fc.width) + ")";
    if (seen.size() == 1) return ir::format_value(seen[0], fc.width) + mask_note;
    std::string list;
    for (size_t i = 0; i < seen.size() && i < 4; ++i) list += (i ? ", " : "") + ir::format_value(seen[i], fc.width);
    return "one of {" + list + (seen.size() > 4 ? ", ..." : "") + "}" + mask_note;
  };

  z3::solver joint = make_solver(ctx, limits);
  joint.add(base);
  z3::expr_vector lits(ctx);
  for (size_t i = 0; i < compared.size(); ++i) {
    z3::expr lit = ctx.bool_const(("match!" + rep.fields[compared[i]].field).c_str());
    joint.add(z3::implies(lit, matches[i]));
    lits.push_back(lit);
  }
  auto r = check(joint, lits, reason);
  if (r == z3::unknown) { rep.reason = reason; return rep; }
  if (r == z3::sat) {
    rep.outcome = Outcome::Proved;
    z3::model m = joint.get_model();
    for (size_t fi : compared) {
      rep.fields[fi].match = FieldMatch::Match;
      rep.fields[fi].expected = ir::format_value(rep.fields[fi].actual & rep.fields[fi].care, rep.fields[fi].width);
    }
    // Configuration the input left out but the match pins down.
    std::set<ir::SlotId> free_config;
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      if (!def.init[id] || !state.known[id]) continue;
      for (const ir::Piece& p : def.init[id]->pieces) {
        std::vector<ir::SlotId> reads;
        ir::collect_reads(*p.value, reads);
        for (ir::SlotId x : reads)
          if (!ir::is_state(model.slot(x).kind) && !state.known[x]) free_config.insert(x);
      }
    }
    for (ir::SlotId x : free_config) {
      uint64_t v = Encoder::value_of(m.eval(enc.config_var(x), true));
      z3::solver sv = make_solver(ctx, limits);
      sv.add(base);
      for (const z3::expr& match : matches) sv.add(match);  // every compared field matches
      sv.add(enc.config_var(x) != enc.num(v, model.slot(x).width));
      std::string why;
      if (check(sv, why) == z3::unsat) rep.inferred.push_back({"config", model.slot(x).name, v, model.slot(x).width});
    }
    return rep;
  }

  // Not equal: first the fields that cannot match on their own.
  rep.outcome = Outcome::Failed;
  std::vector<size_t> alone_ok;
  for (size_t i = 0; i < compared.size(); ++i) {
    FieldComparison& fc = rep.fields[compared[i]];
    z3::solver sv = make_solver(ctx, limits);
    sv.add(base && matches[i]);
    std::string why;
    auto ri = check(sv, why);
    if (ri == z3::unsat) {
      fc.match = FieldMatch::Mismatch;
      fc.expected = expected_text(compared[i], ctx.bool_val(true));
    } else {
      fc.match = FieldMatch::Match;
      fc.expected = ir::format_value(fc.actual & fc.care, fc.width);
      alone_ok.push_back(i);
    }
  }
  // Then the fields that match alone but not together.
  z3::expr_vector rest(ctx);
  for (size_t i : alone_ok) rest.push_back(lits[static_cast<int>(i)]);
  if (check(joint, rest, reason) == z3::unsat) {
    std::vector<z3::expr> core;
    z3::expr_vector uc = joint.unsat_core();
    for (unsigned k = 0; k < uc.size(); ++k) core.push_back(uc[k]);
    for (size_t i = 0; i < core.size();) {
      z3::expr_vector trial(ctx);
      for (size_t j = 0; j < core.size(); ++j)
        if (j != i) trial.push_back(core[j]);
      std::string why;
      if (check(joint, trial, why) == z3::unsat) core.erase(core.begin() + static_cast<long>(i));
      else ++i;
    }
    std::string names;
    for (const z3::expr& e : core) names += (names.empty() ? "" : ", ") + e.decl().name().str().substr(6);
    for (const z3::expr& e : core) {
      std::string name = e.decl().name().str().substr(6);
      for (size_t i : alone_ok) {
        FieldComparison& fc = rep.fields[compared[i]];
        if (fc.field != name) continue;
        fc.match = FieldMatch::Conflict;
        fc.why = "matches alone, but not together with the other fields of {" + names + "}";
      }
    }
  }
  return rep;
}

}  // namespace vcpuspec::smt

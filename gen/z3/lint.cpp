#include "z3/lint.hpp"

#include <algorithm>
#include <set>

#include "z3/encode.hpp"
#include "z3/prove.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

bool LintReport::has_errors() const {
  for (const LintFinding& f : findings)
    if (f.severity != LintFinding::Severity::Info && f.rule != "unknown") return true;
  return false;
}

bool LintReport::has_unknown() const {
  for (const LintFinding& f : findings)
    if (f.rule == "unknown") return true;
  return false;
}

namespace {

// Both directions of an `overlaps` declaration count.
bool declared_overlap(const ir::Model& m, const std::string& a, const std::string& b) {
  const ir::Check* ca = m.find_check(a);
  const ir::Check* cb = m.find_check(b);
  auto has = [](const ir::Check* c, const std::string& id) {
    return c && std::find(c->overlaps.begin(), c->overlaps.end(), id) != c->overlaps.end();
  };
  return has(ca, b) || has(cb, a);
}

// A transition must be a real rule: some write between two legal states
// passes it and some breaks it (else the state checks already say it all,
// or it forbids every write).
void lint_transitions(const ir::Model& model, const LintOptions& opts, LintReport& report) {
  z3::context ctx;
  Encoder enc(ctx, model);
  Valuation old = enc.state_vars("old");
  Valuation cur = enc.state_vars("s");
  z3::expr legal = enc.config_axioms();
  for (const ir::Check& d : model.checks)
    if (d.scope == "arch") legal = legal && enc.holds(d, old) && enc.holds(d, cur);
  for (const ir::Transition& t : model.transitions) {
    CheckLint cl;
    cl.id = t.id;
    z3::expr applies = t.when ? enc.pred(*t.when, cur, &old) : ctx.bool_val(true);
    z3::expr passes = enc.pred(*t.assertion, cur, &old);
    std::string reason;
    auto ask = [&](const z3::expr& goal, const char* what, const char* rule, const std::string& msg) {
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(legal && applies && goal);
      auto r = check(sv, reason);
      if (r == z3::unsat)
        report.findings.push_back(LintFinding{LintFinding::Severity::Error, t.id, rule, msg, t.loc});
      if (r == z3::unknown)
        report.findings.push_back(LintFinding{LintFinding::Severity::Warning, t.id, "unknown",
                                              "transition '" + t.id + "': " + what + ": Z3 returned unknown (" +
                                                  reason + ")",
                                              t.loc});
      return r == z3::sat ? Outcome::Proved : r == z3::unsat ? Outcome::Failed : Outcome::Unknown;
    };
    cl.can_pass = ask(passes, "can it pass", "never-passes",
                      "transition '" + t.id + "' forbids every write between legal states");
    if (t.overlaps.empty()) {
      cl.can_fail = ask(!passes, "can it fail", "never-fails",
                        "transition '" + t.id + "' can never fail between legal states: the state checks imply it; "
                        "declare `overlaps` with the checks that do");
    } else {
      // Declared as implied: the declared checks on the state after the write
      // must be enough on their own.
      z3::expr declared = enc.config_axioms();
      std::string list;
      for (const std::string& id : t.overlaps) {
        declared = declared && enc.holds(*model.find_check(id), cur);
        list += (list.empty() ? "" : ", ") + id;
      }
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(declared && applies && !passes);
      auto r = check(sv, reason);
      cl.can_fail = Outcome::Failed;
      cl.implied_by = t.overlaps;
      cl.implied_declared = r == z3::unsat;
      if (r == z3::unsat)
        report.findings.push_back(LintFinding{LintFinding::Severity::Info, t.id, "implied",
                                              "transition '" + t.id + "' is implied by the state checks " + list +
                                                  " on the state after the write (declared with `overlaps`)",
                                              t.loc});
      else
        report.findings.push_back(LintFinding{LintFinding::Severity::Warning, t.id,
                                              r == z3::unknown ? "unknown" : "overlap-unused",
                                              "transition '" + t.id + "' declares `overlaps " + list +
                                                  "` but those checks alone do not imply it",
                                              t.loc});
    }
    report.transitions.push_back(std::move(cl));
  }
}

}  // namespace

LintReport lint(const ir::Model& model, const LintOptions& opts) {
  LintReport report;
  z3::context ctx;
  Encoder enc(ctx, model);
  z3::expr axioms = enc.config_axioms();
  Valuation s = enc.state_vars("s");

  auto add = [&](LintFinding::Severity sev, const ir::Check& c, std::string rule, std::string msg) {
    report.findings.push_back(LintFinding{sev, c.id, std::move(rule), std::move(msg), c.loc});
  };
  auto unknown = [&](const ir::Check& c, const std::string& what, const std::string& reason) {
    add(LintFinding::Severity::Warning, c, "unknown", "check '" + c.id + "': " + what + ": Z3 returned unknown (" +
                                                          reason + ")");
  };

  for (const ir::Check& c : model.checks) {
    CheckLint cl;
    cl.id = c.id;
    z3::expr applies = c.when ? enc.pred(*c.when, s) : ctx.bool_val(true);
    z3::expr passes = enc.pred(*c.assertion, s);
    std::string reason;

    {
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(axioms && applies);
      auto r = check(sv, reason);
      if (r == z3::unsat) add(LintFinding::Severity::Error, c, "never-applies",
                              "check '" + c.id + "' never applies: its `when` condition is unsatisfiable");
      if (r == z3::unknown) unknown(c, "does it ever apply", reason);
    }
    {
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(axioms && applies && passes);
      auto r = check(sv, reason);
      cl.can_pass = r == z3::sat ? Outcome::Proved : r == z3::unsat ? Outcome::Failed : Outcome::Unknown;
      if (r == z3::unsat) add(LintFinding::Severity::Error, c, "never-passes",
                              "check '" + c.id + "' can never pass where it applies");
      if (r == z3::unknown) unknown(c, "can it pass", reason);
    }
    {
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(axioms && applies && !passes);
      auto r = check(sv, reason);
      cl.can_fail = r == z3::sat ? Outcome::Proved : r == z3::unsat ? Outcome::Failed : Outcome::Unknown;
      if (r == z3::unsat) add(LintFinding::Severity::Error, c, "never-fails",
                              "check '" + c.id + "' can never fail: its predicate is always true (vacuous)");
      if (r == z3::unknown) unknown(c, "can it fail", reason);
    }
    // Implied by the others: no state violates only this check.
    if (cl.can_fail == Outcome::Proved) {
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(axioms && !enc.holds(c, s));
      z3::expr_vector lits(ctx);
      std::vector<const ir::Check*> others;
      for (const ir::Check& d : model.checks) {
        if (&d == &c || !applies_in(d.scope, c.scope)) continue;
        z3::expr lit = ctx.bool_const(("use!" + d.id).c_str());
        sv.add(z3::implies(lit, enc.holds(d, s)));
        lits.push_back(lit);
        others.push_back(&d);
      }
      auto r = check(sv, lits, reason);
      if (r == z3::unknown) unknown(c, "is it implied by other checks", reason);
      if (r == z3::unsat) {
        std::vector<z3::expr> keep = shrink_core(sv, sv.unsat_core());
        for (const z3::expr& k : keep) {
          std::string name = k.decl().name().str().substr(4);
          cl.implied_by.push_back(name);
        }
        std::sort(cl.implied_by.begin(), cl.implied_by.end());
        cl.implied_declared = std::all_of(cl.implied_by.begin(), cl.implied_by.end(), [&](const std::string& d) {
          return declared_overlap(model, c.id, d);
        });
        std::string list;
        for (const std::string& d : cl.implied_by) list += (list.empty() ? "" : ", ") + d;
        if (cl.implied_declared)
          add(LintFinding::Severity::Info, c, "implied",
              "check '" + c.id + "' is implied by " + list + " (declared with `overlaps`)");
        else
          add(LintFinding::Severity::Warning, c, "implied",
              "check '" + c.id + "' is implied by " + list +
                  ": no state fails it alone; remove it or declare `overlaps " + list + "`");
      }
    }
    // A declared overlap must be real: some state fails both.
    for (const std::string& d : c.overlaps) {
      const ir::Check* other = model.find_check(d);
      if (!other) continue;
      z3::solver sv = make_solver(ctx, opts.limits);
      sv.add(axioms && !enc.holds(c, s) && !enc.holds(*other, s));
      auto r = check(sv, reason);
      if (r == z3::unsat)
        add(LintFinding::Severity::Warning, c, "overlap-unused",
            "check '" + c.id + "' declares `overlaps " + d + "` but no state fails both");
    }
    report.checks.push_back(std::move(cl));
  }

  lint_transitions(model, opts, report);

  ProveOptions po;
  po.limits = opts.limits;
  report.states = prove_states(model, po);
  for (const Obligation& ob : report.states) {
    const ir::StateDef* def = model.find_state(ob.state);
    Loc loc = def ? def->loc : Loc{};
    if (ob.outcome == Outcome::Failed)
      report.findings.push_back(LintFinding{LintFinding::Severity::Error, ob.check, "state",
                                            "not proved: " + ob.text + (ob.reason.empty() ? "" : " (" + ob.reason + ")"),
                                            loc});
    if (ob.outcome == Outcome::Unknown)
      report.findings.push_back(LintFinding{LintFinding::Severity::Warning, ob.check, "unknown",
                                            "unknown: " + ob.text + " (" + ob.reason + ")", loc});
  }
  return report;
}

}  // namespace vcpuspec::smt

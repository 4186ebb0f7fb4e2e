#include "z3/completion.hpp"

#include <optional>
#include <unordered_map>

#include "z3/encode.hpp"
#include "z3/solve.hpp"

namespace vcpuspec::smt {

struct CompletionDecider::Impl {
  const ir::Model& model;
  CompletionOptions opts;
  z3::context ctx;
  Encoder enc;
  Valuation s;
  z3::solver solver;  // one per decide(): an answer does not depend on the inputs before it
  z3::expr ranges;    // every param within its declared range
  // Per check, lowered on first use: its `when` and its assertion.
  std::vector<std::optional<std::pair<z3::expr, z3::expr>>> lowered;
  // Answers by check and the values of the slots it reads that the input gave.
  std::unordered_map<std::string, CompletionVerdict> seen;
  static constexpr size_t kMaxSeen = 4096;

  Impl(const ir::Model& m, CompletionOptions o)
      : model(m), opts(o), enc(ctx, m), s(enc.state_vars("s")), solver(ctx), ranges(enc.config_axioms()), lowered(m.checks.size()) {}

  const std::pair<z3::expr, z3::expr>& check_terms(size_t i) {
    if (!lowered[i]) {
      const ir::Check& c = model.checks[i];
      lowered[i].emplace(c.when ? enc.pred(*c.when, s) : ctx.bool_val(true), enc.pred(*c.assertion, s));
    }
    return *lowered[i];
  }

  std::string key(size_t i, const KnownValues& known) const {
    std::string k(reinterpret_cast<const char*>(&i), sizeof i);
    for (ir::SlotId id : model.checks[i].reads) {
      k += known.known[id] ? '1' : '0';
      if (known.known[id]) {
        uint64_t v = known.value[id] & ir::mask_of(model.slot(id).width);
        k.append(reinterpret_cast<const char*>(&v), sizeof v);
      }
    }
    return k;
  }

  // The missing fields' values in the solver's last model.
  std::vector<FieldValue> missing_values(size_t i, const KnownValues& known) {
    std::vector<FieldValue> out;
    z3::model m = solver.get_model();
    for (ir::SlotId id : model.checks[i].reads) {
      if (known.known[id]) continue;
      const ir::Slot& sl = model.slot(id);
      out.push_back({ir::is_state(sl.kind) ? "state" : "config", sl.name, Encoder::value_of(m.eval(s[id], true)), sl.width});
    }
    return out;
  }

  // Whether `e` can hold with the known values; null when the solver gave up.
  std::optional<bool> can(const z3::expr& e, size_t i, const KnownValues& known, std::vector<FieldValue>* witness,
                          std::string& reason) {
    solver.push();
    solver.add(e);
    z3::check_result r = check(solver, reason);
    if (r == z3::sat && witness) *witness = missing_values(i, known);
    solver.pop();
    if (r == z3::unknown) return std::nullopt;
    return r == z3::sat;
  }

  CompletionVerdict decide(size_t i, const KnownValues& known) {
    using Kind = CompletionVerdict::Kind;
    std::string k = key(i, known);
    if (auto it = seen.find(k); it != seen.end()) return it->second;
    const auto& [when, ok] = check_terms(i);
    CompletionVerdict out;
    solver = make_solver(ctx, opts.limits);
    if (opts.config_ranges) solver.add(ranges);
    for (ir::SlotId id : model.checks[i].reads)
      if (known.known[id]) solver.add(s[id] == enc.num(known.value[id], model.slot(id).width));
    if (std::optional<bool> fails = can(when && !ok, i, known, &out.fails_with, out.reason); !fails) {
      out.kind = Kind::GaveUp;
    } else if (!*fails) {
      std::optional<bool> applies = can(when, i, known, nullptr, out.reason);
      out.kind = !applies ? Kind::GaveUp : *applies ? Kind::Pass : Kind::NotApplicable;
    } else {
      std::optional<bool> holds = can(!when || ok, i, known, &out.holds_with, out.reason);
      out.kind = !holds ? Kind::GaveUp : *holds ? Kind::Undecided : Kind::Fail;
    }
    if (out.kind != Kind::Undecided && out.kind != Kind::Fail) out.fails_with.clear();
    // A limit hit once may not be hit again: only answers are kept. Bounded,
    // so that a batch of a million distinct dumps keeps its memory flat.
    if (seen.size() >= kMaxSeen) seen.clear();
    if (out.kind != Kind::GaveUp) seen.emplace(std::move(k), out);
    return out;
  }
};

CompletionDecider::CompletionDecider(const ir::Model& model, CompletionOptions opts)
    : impl_(std::make_unique<Impl>(model, opts)) {}
CompletionDecider::~CompletionDecider() = default;
const ir::Model& CompletionDecider::model() const { return impl_->model; }

CompletionVerdict CompletionDecider::decide(size_t check, const KnownValues& known) {
  return impl_->decide(check, known);
}

bool verdict_forced(const ir::Model& model, size_t check, const KnownValues& known, ForcedVerdict verdict) {
  CompletionDecider d(model, CompletionOptions{false, Limits{}});
  using Kind = CompletionVerdict::Kind;
  Kind k = d.decide(check, known).kind;
  switch (verdict) {
    case ForcedVerdict::NotApplicable: return k == Kind::NotApplicable;
    case ForcedVerdict::Pass: return k == Kind::Pass || k == Kind::NotApplicable;
    case ForcedVerdict::Fail: return k == Kind::Fail;
  }
  return false;
}

}  // namespace vcpuspec::smt

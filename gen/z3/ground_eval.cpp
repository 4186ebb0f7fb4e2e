#include "z3/ground_eval.hpp"

#include <map>
#include <optional>

#include "z3/encode.hpp"

namespace vcpuspec::smt {

struct GroundEvaluator::Impl {
  z3::context ctx;
  const ir::Model& model;
  Encoder enc;
  Valuation vars;
  std::vector<z3::expr> check_words;  // checks packed 64 to a bit-vector
  std::map<std::string, Valuation> states;
  std::optional<Valuation> old_vars;       // built on first use of transitions()
  std::vector<z3::expr> transition_holds;

  explicit Impl(const ir::Model& m) : model(m), enc(ctx, m), vars(enc.state_vars("s")) {
    std::vector<z3::expr> bits;
    for (const ir::Check& c : model.checks) bits.push_back(z3::ite(enc.holds(c, vars), ctx.bv_val(1, 1), ctx.bv_val(0, 1)));
    for (size_t i = 0; i < bits.size(); i += 64) {
      // Bit j of word i/64 is check i+j: concat puts the first argument high.
      z3::expr w = bits[std::min(bits.size(), i + 64) - 1];
      for (size_t j = std::min(bits.size(), i + 64) - 1; j-- > i;) w = z3::concat(w, bits[j]);
      check_words.push_back(w);
    }
  }

  z3::model bind(const std::vector<uint64_t>& values) {
    z3::model m(ctx);
    bind_into(m, vars, values, false);
    return m;
  }
  // `state_only`: a second state instance shares the configuration constants.
  void bind_into(z3::model& m, const Valuation& to, const std::vector<uint64_t>& values, bool state_only) {
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      if (state_only && !ir::is_state(model.slot(id).kind)) continue;
      z3::func_decl d = to[id].decl();
      z3::expr v = ctx.bv_val(static_cast<uint64_t>(values[id] & ir::mask_of(model.slot(id).width)),
                              model.slot(id).width);
      m.add_const_interp(d, v);
    }
  }
};

GroundEvaluator::GroundEvaluator(const ir::Model& model) : impl_(std::make_unique<Impl>(model)) {}
GroundEvaluator::~GroundEvaluator() = default;

std::vector<bool> GroundEvaluator::checks(const std::vector<uint64_t>& values) {
  z3::model m = impl_->bind(values);
  std::vector<bool> out;
  size_t n = impl_->model.checks.size();
  for (size_t w = 0; w < impl_->check_words.size(); ++w) {
    uint64_t bits = Encoder::value_of(m.eval(impl_->check_words[w], true));
    for (size_t j = 0; j < 64 && w * 64 + j < n; ++j) out.push_back((bits >> j) & 1);
  }
  return out;
}

std::vector<bool> GroundEvaluator::transitions(const std::vector<uint64_t>& cur, const std::vector<uint64_t>& old) {
  Impl& im = *impl_;
  if (!im.old_vars) {
    im.old_vars = im.enc.state_vars("o");
    for (const ir::Transition& t : im.model.transitions) {
      z3::expr ok = im.enc.pred(*t.assertion, im.vars, &*im.old_vars);
      im.transition_holds.push_back(t.when ? z3::implies(im.enc.pred(*t.when, im.vars, &*im.old_vars), ok) : ok);
    }
  }
  z3::model m = im.bind(cur);
  im.bind_into(m, *im.old_vars, old, true);
  std::vector<bool> out;
  for (const z3::expr& h : im.transition_holds) out.push_back(m.eval(h, true).is_true());
  return out;
}

uint64_t GroundEvaluator::value(const ir::Expr& e, const std::vector<uint64_t>& values) {
  z3::model m = impl_->bind(values);
  return Encoder::value_of(m.eval(impl_->enc.bv(e, impl_->vars), true));
}

std::vector<uint64_t> GroundEvaluator::state(const ir::StateDef& def, const std::vector<uint64_t>& prev) {
  auto it = impl_->states.find(def.name);
  if (it == impl_->states.end())
    it = impl_->states.emplace(def.name, impl_->enc.apply_state(def, &impl_->vars, "g!" + def.name)).first;
  z3::model m = impl_->bind(prev);
  std::vector<uint64_t> out;
  for (ir::SlotId id = 0; id < impl_->model.slots.size(); ++id) {
    // Fresh constants for unspecified bits evaluate to 0 under completion.
    out.push_back(Encoder::value_of(m.eval(it->second[id], true)));
  }
  return out;
}

}  // namespace vcpuspec::smt

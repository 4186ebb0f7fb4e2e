#include "z3/ground_eval.hpp"

#include <map>

#include "z3/encode.hpp"

namespace vcpuspec::smt {

struct GroundEvaluator::Impl {
  z3::context ctx;
  const ir::Model& model;
  Encoder enc;
  Valuation vars;
  std::vector<z3::expr> check_words;  // checks packed 64 to a bit-vector
  std::map<std::string, Valuation> states;

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
    for (ir::SlotId id = 0; id < model.slots.size(); ++id) {
      z3::func_decl d = vars[id].decl();
      z3::expr v = ctx.bv_val(static_cast<uint64_t>(values[id] & ir::mask_of(model.slot(id).width)),
                              model.slot(id).width);
      m.add_const_interp(d, v);
    }
    return m;
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

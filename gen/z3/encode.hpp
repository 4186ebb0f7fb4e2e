// IR -> Z3. Private to vcpuspec_z3: no header outside gen/z3 includes Z3.
//
// A Valuation gives every slot a Z3 term: state slots get one constant per
// state instance ("s!CR0", "prev!CR0"), configuration slots are shared by all
// instances of one query ("cpu.maxphyaddr").
#pragma once
#include <z3++.h>

#include <map>
#include <string>
#include <vector>

#include "ir/ir.hpp"

namespace vcpuspec::smt {

using Valuation = std::vector<z3::expr>;

class Encoder {
 public:
  Encoder(z3::context& ctx, const ir::Model& model);

  z3::context& ctx() { return ctx_; }
  const ir::Model& model() const { return model_; }

  // Fresh constants for every state slot, named "<instance>!<slot>";
  // configuration slots map to the shared configuration constants.
  Valuation state_vars(const std::string& instance);
  // "<base>#<n>", new on every call: names for the constants of one more instance.
  std::string fresh_instance(const std::string& base);
  // The shared constant of a configuration slot.
  z3::expr config_var(ir::SlotId id);
  // Range constraints of every param (cpu.maxphyaddr in 32..52).
  z3::expr config_axioms();

  // `e` as a bit-vector of e.width bits; Frame::Cur reads `cur`, Frame::Prev `prev`.
  z3::expr bv(const ir::Expr& e, const Valuation& cur, const Valuation* prev = nullptr);
  // A 1-bit `e` as a Boolean.
  z3::expr pred(const ir::Expr& e, const Valuation& cur, const Valuation* prev = nullptr);

  // A check holds: `when -> assert`.
  z3::expr holds(const ir::Check& c, const Valuation& s);
  // Every check of `scope` ("arch" also applies to vmx and svm) holds.
  z3::expr legal(const Valuation& s, const std::string& scope = "arch");

  // The state `def` produces from `prev` (null for RESET). Bits the state
  // leaves unspecified become fresh constants named after `instance`.
  Valuation apply_state(const ir::StateDef& def, const Valuation* prev, const std::string& instance);

  z3::expr num(uint64_t v, unsigned width) { return ctx_.bv_val(static_cast<uint64_t>(v), width); }
  // The value of a numeral term (after model evaluation).
  static uint64_t value_of(const z3::expr& e);

 private:
  struct Lowering;
  z3::context& ctx_;
  const ir::Model& model_;
  std::map<ir::SlotId, z3::expr> config_;
  unsigned fresh_ = 0;
};

bool applies_in(const std::string& check_scope, const std::string& scope);

// `old` (`width` bits) with bits hi:lo replaced by `v`: one write to part of a slot.
z3::expr splice(const z3::expr& old, const z3::expr& v, unsigned hi, unsigned lo, unsigned width);

}  // namespace vcpuspec::smt

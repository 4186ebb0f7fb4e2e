// The single writes of the mode machine, in x86 terms: MOV to CR0/CR4,
// WRMSR EFER, a far jump, IRET, an interrupt, SMI, RSM, INIT, SIPI, a triple
// fault. Each says which states it starts from and what state it leaves; the
// rules about it (`transition ... on CR0`) and the state checks come from the
// spec. Private to vcpuspec_z3.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "z3/encode.hpp"

namespace vcpuspec::smt {

// Reads and writes fields of a valuation by name: "CR0", "CR0.PG", "CS.ar.L".
class FieldAccess {
 public:
  explicit FieldAccess(Encoder& enc) : enc_(enc) {}
  Encoder& enc() { return enc_; }
  z3::expr get(const Valuation& v, const std::string& field) const;
  void set(Valuation& v, const std::string& field, const z3::expr& value) const;
  void set(Valuation& v, const std::string& field, uint64_t value) const;
  // A fresh constant as wide as `field`, named "<instance>!<field>".
  z3::expr fresh(const std::string& instance, const std::string& field) const;
  // Every state slot fresh: a state the write loads wholesale (RSM's image).
  Valuation fresh_state(const std::string& instance) { return enc_.state_vars(instance); }

 private:
  struct Where {
    ir::SlotId slot;
    unsigned hi, lo;
  };
  Where find(const std::string& field) const;
  Encoder& enc_;
};

// What a write does to one state `s`.
struct WriteStep {
  z3::expr pre;    // `s` can make the write (mode-independent: CPL 0, executing, ...)
  Valuation post;  // the state it leaves
  z3::expr facts;  // constraints on the write's own inputs (the values written)
  bool post_legal = true;  // the state left must pass every architectural check
};

struct ModeWrite {
  std::string label, cite;
  std::vector<std::string> on;  // the write rules that apply: `transition ... on` these
  std::function<WriteStep(FieldAccess&, const Valuation& s)> step;
};

// The table, in drawing order.
std::vector<ModeWrite> mode_writes(const ir::Model& m);

}  // namespace vcpuspec::smt

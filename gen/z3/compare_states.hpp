// A VMM's RESET or INIT (`state qemu.RESET for RESET`) against the
// architectural state it is for: the fields whose value can differ, for
// some configuration and (for INIT) some legal previous state, each with
// both values and the spec's classification of the difference.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

struct FieldDifference {
  ir::SlotId slot = 0;
  std::string field;      // "CR0.CD", "CS.ar.type", "FMASK"
  uint64_t bits = 0;      // the slot's bits that differ
  std::string vmm_value;  // "0x3", "kept", "unspecified", "prev.CR0.CD | 1"
  std::string arch_value;
  std::string vmm_cite, arch_cite;  // the items' citations, or the states'
  Loc vmm_loc;                      // the VMM state's item that sets the bits (or the state)
  std::optional<ir::Classified> classified;  // none: the spec does not classify it
};

struct StateComparison {
  const ir::StateDef* vmm_state = nullptr;
  const ir::StateDef* arch_state = nullptr;
  // Proved: every difference classified and every classification of the
  // state's own items is one; Failed: not; Unknown: Z3 could not decide a field.
  Outcome outcome = Outcome::Proved;
  std::vector<FieldDifference> differences;
  std::vector<ir::Classified> stale;  // `differs` on bits that equal the architecture's
  std::vector<std::string> unknown;   // fields not decided, with Z3's reason
  // `arch` checks the VMM's state fails for some configuration (and legal
  // previous state), its unspecified bits taken from the architectural state.
  std::vector<const ir::Check*> failed_checks;
};

// Every VMM state (or those of the VMMs named), in declaration order.
std::vector<StateComparison> compare_vmm_states(const ir::Model& model, const Limits& limits,
                                                const std::vector<std::string>& vmms = {});

// What state `st` gives the bits `bits` of `slot` (a number is shifted
// right by `shift`: a field's own value), as a reader of the table wants it:
// a number, "kept" (the previous state's bits), "unspecified", or the expression.
std::string state_bits_text(const ir::Model& model, const ir::StateDef& st, ir::SlotId slot, uint64_t bits,
                            unsigned shift);

}  // namespace vcpuspec::smt

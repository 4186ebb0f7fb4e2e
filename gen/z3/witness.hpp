// Witnesses for one check: a state that passes every check that applies to
// it, and a state that fails exactly that check and passes every other one,
// close to the first (as few fields and bits changed as Z3 can show).
// Plain data out; Z3 stays inside vcpuspec_z3.
#pragma once
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

struct WitnessPair {
  std::string check;
  std::string flavor;             // the check's scope: arch, vmx or svm
  // Proved: both states found. Failed: no state fails this check alone
  // (`implied_by` lists a minimal set of checks that imply it). Unknown: Z3
  // gave up (`reason`).
  Outcome outcome = Outcome::Unknown;
  std::string reason;
  std::vector<std::string> implied_by;
  // Every vCPU state slot and every param, feature and control, by name;
  // role "state" or "config". Empty unless found.
  std::vector<FieldValue> passing, failing;
  // The slots whose value differs between the two, in slot order.
  std::vector<std::string> changed;
};

struct WitnessOptions {
  Limits limits;
};

WitnessPair find_witness(const ir::Model& model, const ir::Check& check, const WitnessOptions& opts);

}  // namespace vcpuspec::smt

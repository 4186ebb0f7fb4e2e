// Does a captured state equal a spec state (RESET, or INIT(prev))? Exact,
// with what the capture does not show left free: configuration not given
// and, without --before, any legal previous state. Field by field: match,
// mismatch (with the expected value), not compared, or in conflict.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "z3/results.hpp"

namespace vcpuspec::smt {

// Values indexed by SlotId; known[id] says whether the input showed it.
struct KnownValues {
  std::vector<uint64_t> value;
  std::vector<uint8_t> known;
};

enum class FieldMatch { Match, Mismatch, Conflict, NotCompared };
const char* field_match_name(FieldMatch m);

struct FieldComparison {
  ir::SlotId slot = 0;
  std::string field;
  FieldMatch match = FieldMatch::NotCompared;
  uint64_t actual = 0;
  uint64_t care = 0;      // bits compared
  unsigned width = 64;
  std::string expected;   // "0x60000010", "one of {0x10, 0x40000010}"
  std::string why;        // mismatch/conflict detail, or why not compared
  std::string cite;       // the state's citation for this field
};

struct ExpectReport {
  std::string state;
  Outcome outcome = Outcome::Unknown;  // Proved: equal; Failed: not equal
  std::vector<FieldComparison> fields;
  std::vector<FieldValue> inferred;    // configuration / prev values the match forces
  std::string reason;                  // for Unknown, or inconsistent inputs
};

ExpectReport compare_expected(const ir::Model& model, const ir::StateDef& def, const KnownValues& state,
                              const KnownValues* prev, const Limits& limits);

}  // namespace vcpuspec::smt

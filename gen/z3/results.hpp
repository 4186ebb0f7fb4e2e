// What the Z3 analyses report: plain data, no Z3 types, so the CLI and the
// report writers do not depend on the solver.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vcpuspec::smt {

// Solver limits for every query. 0 = no limit. `rlimit` counts Z3's internal
// resource units: unlike wall time it is deterministic.
struct Limits {
  unsigned timeout_ms = 0;
  uint64_t rlimit = 0;
  unsigned memory_mb = 0;
};

enum class Outcome { Proved, Failed, Unknown };
const char* outcome_name(Outcome o);

// One value of a counterexample or witness.
struct FieldValue {
  std::string role;   // "config", "prev", the state's name ("RESET", "INIT"), "state"
  std::string field;  // "CR0", "cpu.maxphyaddr"
  uint64_t value = 0;
  unsigned width = 64;
};

struct Obligation {
  std::string id;      // "RESET|ARCH.CR0.HI", "INIT|idempotent"
  std::string kind;    // "state-legal", "state-idempotent"
  std::string state;   // RESET, INIT
  std::string check;   // the check, for state-legal
  std::string text;    // what is claimed, one sentence
  std::string cite;
  Outcome outcome = Outcome::Unknown;
  std::string reason;  // for Unknown: Z3's reason; for Failed: which fields
  std::vector<FieldValue> counterexample;
};

}  // namespace vcpuspec::smt

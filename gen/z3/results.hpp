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

// ---- flows ------------------------------------------------------------------

struct FieldChange {
  std::string field;  // "CR0", "CR0.PG", "vmcs.ctl.CR3_LOAD_EXITING"
  uint64_t before = 0, after = 0;
  unsigned width = 64;
};

// One top-level statement of a counterexample run.
struct StepRow {
  uint32_t step = 0;
  std::string text;                 // vmx_5_10.set_cr0(0x60000010)
  std::vector<std::string> calls;   // nested op calls, "a > b"
  std::vector<FieldChange> changes;
  std::vector<std::string> events;  // in order; the breaking one is `broke_event`
  bool broke = false;
};

// How an input is named in reports: `start.CR0.PG` for the start state,
// the bare name for configuration and flow formals.
inline std::string input_name(const FieldValue& v) { return v.role == "start" ? "start." + v.field : v.field; }

struct FlowCounterexample {
  std::vector<FieldValue> inputs;   // role "flow" (formals), "config", "start": only what is off its default
  std::vector<StepRow> rows;
  std::string where;                // "at event mmu_role_computed in step 3", "at the end", "after step 4"
  std::string broke_event;
  std::vector<FieldChange> expected;  // finally-in: before = expected, after = actual
};

struct FlowObligation {
  std::string property, text, cite, patch, note, form;
  std::string flow, kernel, scope;
  bool applicable = true;  // false: no run of the flow meets the property's `when`
  Outcome outcome = Outcome::Unknown;
  std::string reason;      // Unknown: Z3's reason
  FlowCounterexample ce;
};

// ---- the CPU mode machine --------------------------------------------------

// One edge of the mode machine: the writes that take some legal state of
// `from` to a legal state of `to` (solid), or, refused, the writes that would
// and the write rules that fault them (dashed). `from` == kResetNode: the
// power-up/RESET pseudo-state.
struct ModeEdge {
  static constexpr size_t kResetNode = static_cast<size_t>(-1);
  size_t from = 0, to = 0;
  bool refused = false;
  std::vector<std::string> writes;  // labels, in the order of the write table
  std::vector<std::string> rules;   // refused: the write rules (transition ids)
};

struct ModeWriteInfo {
  std::string label, cite;
  bool signal = false;  // `signal` (SMI, INIT): drawn apart from instructions
};

struct ModeMachine {
  struct Mode {
    std::string id, text, cite;
    // What every legal state of the mode has, as Z3 found it: "CR0.PE=1"
    // (empty if not forced) and "CR0.PG=0, EFER.LMA=0" (empty unless both
    // are). Modes that share them are drawn in one box.
    std::string box, group;
  };
  std::vector<Mode> modes;            // spec order
  std::vector<ModeWriteInfo> writes;  // the write table
  std::vector<ModeEdge> edges;        // solid first, by (from, to); then refused
  std::vector<std::string> rules;     // the rules on refused edges, spec order
  // Proofs made before anything is drawn; a failure is a spec error.
  std::vector<std::string> problems;  // "modes MODE.A and MODE.B overlap: ..."
  Outcome outcome = Outcome::Proved;  // Unknown: some query undecided (`reason`)
  std::string reason;
  unsigned queries = 0;
};

}  // namespace vcpuspec::smt

// What the generated checker exports: check metadata, verdicts, the facts
// that explain a failure, and expected (RESET/INIT) states.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/domains.hpp"
#include "runtime/state.hpp"

namespace vcpuspec::rt {

enum class Verdict : uint8_t { Pass, Fail, NotApplicable, Unknown };

inline const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::NotApplicable: return "n/a";
    case Verdict::Unknown: return "unknown";
  }
  return "unknown";
}

// A check holds when `when` is false or `assert` is true.
inline Verdict verdict(uint64_t when, uint64_t ok) {
  if (!when) return Verdict::NotApplicable;
  return ok ? Verdict::Pass : Verdict::Fail;
}
inline Verdict verdict(Tri when, Tri ok) {
  if (when.is_false()) return Verdict::NotApplicable;
  if (ok.is_true()) return Verdict::Pass;
  if (when.is_true() && ok.is_false()) return Verdict::Fail;
  return Verdict::Unknown;
}

// One reason a check failed: `field` (as the spec writes it) has `value`
// where `expected` was required.
struct Fact {
  std::string field;     // "CR0.CD", "CR0[63:32]", "FS.base"
  bool known = false;
  uint64_t value = 0;
  unsigned width = 64;
  std::string expected;  // "1", "== 0", "one of {0, 1, 4, 5, 6, 7}"
  std::string because;   // "EFER.LMA" when the failed part sat under an implication
};

struct CheckInfo {
  const char* id;
  const char* text;
  const char* cite;
  const char* scope;       // arch | vmx | svm
  const char* question;    // entry (the VM entry/VMRUN would fail) | architecture (no CPU is in this state by itself)
  const char* predicate;   // the assertion in DSL syntax
  const char* when;        // the condition in DSL syntax, or ""
  const char* note;
  const char* links;       // a URL per citation a reader can open, one per line, or ""
  const uint16_t* reads;   // slots read, for "unknown: missing ..."
  uint16_t num_reads;
  Verdict (*eval)(const State&);
  void (*explain)(const State&, std::vector<Fact>&);
};

// The verdicts of a group's checks (at most 64), bit k for its k-th check:
// a check in none of the masks passed. Masks instead of one Verdict per check
// let the common case, nothing failed, cost one test.
struct GroupVerdicts {
  uint64_t fail = 0;
  uint64_t not_applicable = 0;
  uint64_t unknown = 0;

  void add(unsigned k, Verdict v) {
    const uint64_t bit = 1ULL << k;
    if (v == Verdict::Fail) fail |= bit;
    else if (v == Verdict::NotApplicable) not_applicable |= bit;
    else if (v == Verdict::Unknown) unknown |= bit;
  }
  Verdict at(unsigned k) const {
    if ((fail >> k) & 1) return Verdict::Fail;
    if ((not_applicable >> k) & 1) return Verdict::NotApplicable;
    if ((unknown >> k) & 1) return Verdict::Unknown;
    return Verdict::Pass;
  }
};

// The checks of one spec file and scope, evaluated together: when the state
// has every slot they read, as one straight-line function (loads and
// subterms shared across checks); otherwise check by check.
struct CheckGroup {
  const char* scope;       // arch | vmx | svm
  const uint16_t* checks;  // indices into the check table, in spec order
  uint16_t num_checks;     // 1..64
  GroupVerdicts (*eval)(const State&);
};

// A rule about one write (`transition`): evaluated on the state before the
// write (`old`) and the state after it, for a write that targets one of `on`.
struct TransitionInfo {
  const char* id;
  const char* text;
  const char* cite;
  const char* scope;
  const char* predicate;   // in DSL syntax, `old.` for the state before
  const char* when;
  const char* note;
  const char* on_names;    // "CR0", "EFER": what the write targets, as the spec says
  const uint16_t* reads;   // slots read (of either state)
  uint16_t num_reads;
  const uint16_t* on;      // the slots a governed write targets
  uint16_t num_on;
  Verdict (*eval)(const State& cur, const State& old);
  void (*explain)(const State& cur, const State& old, std::vector<Fact>&);
};

// The value a spec state gives one slot: bits `care` are defined; of those,
// `known` could be computed from the configuration and previous state given.
struct ExpectedSlot {
  uint64_t value = 0;
  uint64_t known = 0;
  uint64_t care = 0;
};

struct StateInfo {
  const char* name;        // RESET, INIT
  const char* prev_name;   // "prev" for INIT(prev), "" otherwise
  const char* cite;
  // Fills one ExpectedSlot per slot; `cur` supplies configuration, `prev`
  // (may be null) the state before.
  void (*expected)(const State& cur, const State* prev, ExpectedSlot* out);
};

// Formats a value as the spec prints it (ir::format_value).
inline std::string format_value(uint64_t v, unsigned width) {
  if (width == 1 || v < 10) return std::to_string(v);
  static const char* digits = "0123456789abcdef";
  std::string s;
  while (v) {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  }
  return "0x" + s;
}

}  // namespace vcpuspec::rt

namespace vcpuspec::rt {

inline std::string format_tri(Tri t, unsigned width) {
  if (t.known(width)) return format_value(t.v, width);
  if ((t.k & mask_of(width)) == 0) return "?";
  return format_value(t.v, width) + " (bits " + format_value(~t.k & mask_of(width), width) + " unknown)";
}

// Records one fact of a failure explanation (used by the generated code).
inline void add_fact(std::vector<Fact>& out, const char* field, Tri value, unsigned width, std::string expected,
                     const char* because) {
  Fact f;
  f.field = field;
  f.known = value.known(width);
  f.value = value.v;
  f.width = width;
  f.expected = std::move(expected);
  f.because = because;
  out.push_back(std::move(f));
}

}  // namespace vcpuspec::rt

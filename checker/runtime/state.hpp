// A captured vCPU state as the generated checker sees it: one 64-bit value
// per slot of the spec (registers, segment fields, configuration) and a
// presence bit per slot. Absent means "the input did not show it".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace vcpuspec::rt {

enum class SlotKind : uint8_t { Register, Msr, SegmentMember, DtableMember, Param, Feature, Control, Var, FlowParam };

inline bool is_state_slot(SlotKind k) { return k <= SlotKind::DtableMember; }
// What a dump or --set may configure (not the hypervisor model's vars or flow formals).
inline bool is_config_slot(SlotKind k) {
  return k == SlotKind::Param || k == SlotKind::Feature || k == SlotKind::Control;
}

// Describes a slot; the generated code has one per slot of the spec.
class State;

struct SlotInfo {
  const char* name;      // "CR0", "CS.sel", "cpu.maxphyaddr"
  uint8_t width;         // 1..64
  SlotKind kind;
  const char* group;     // "CS" for CS.sel, "" otherwise
  const char* member;    // "sel" for CS.sel
  uint64_t reserved;     // must-be-0 bits
  uint64_t fixed1;       // must-be-1 bits
  bool has_default;
  uint64_t default_value;
  bool has_range;
  uint64_t range_lo, range_hi;
  int32_t default_from;  // a control that follows this config slot when not given; -1: none
  const char* doc;       // the declaration's text
  int64_t msr_index;     // an MSR's index (readers of MSR lists); -1 for anything else
  const char* word;      // a bit of a control word: the word's name ("entry"), "" otherwise
  int16_t word_offset;   // ... of a VMCB word: its offset; -1 otherwise
  int8_t bit;            // ... and its bit there; -1 for any other slot
  const uint16_t* loads;  // a control bit's `loads`: guest fields the entry loads only when it is 1
  uint8_t num_loads;
  // `loads F else e`: the guest's F where the bit is 0, when the state decides it.
  bool (*loads_else)(const State& s, uint64_t& value);
  const char* loads_else_text;  // ... e in DSL syntax, or ""
  // `activates W`: where this bit is 0, VM entry reads every control of the
  // word W ("secondary") as 0; "" for other slots.
  const char* activates;
};

inline constexpr uint64_t mask_of(unsigned width) { return width >= 64 ? ~0ULL : ((1ULL << width) - 1); }

class State {
 public:
  State() = default;
  explicit State(size_t slots) : value_(slots, 0), present_((slots + 63) / 64, 0) {}

  size_t size() const { return value_.size(); }
  bool has(size_t i) const { return (present_[i / 64] >> (i % 64)) & 1; }
  uint64_t get(size_t i) const { return value_[i]; }
  void set(size_t i, uint64_t v) {
    value_[i] = v;
    present_[i / 64] |= 1ULL << (i % 64);
  }
  void clear(size_t i) {
    value_[i] = 0;
    present_[i / 64] &= ~(1ULL << (i % 64));
  }
  // Whether every slot in `need` (a bitmap of size() bits) is present.
  // Whether every slot of `mask` in 64-slot word `w` is present.
  bool has_word(size_t w, uint64_t mask) const { return (present_[w] & mask) == mask; }
  bool has_all(const uint64_t* need) const {
    for (size_t w = 0; w < present_.size(); ++w)
      if ((present_[w] & need[w]) != need[w]) return false;
    return true;
  }

 private:
  std::vector<uint64_t> value_;
  std::vector<uint64_t> present_;
};

}  // namespace vcpuspec::rt

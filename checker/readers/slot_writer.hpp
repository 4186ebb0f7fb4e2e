// How the dump readers fill a StateInput: by slot name, with the origin of
// every value, a note for what could not be read, and the raw VMX/VMCB
// control words split into the spec's named controls.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "readers/dump_text.hpp"
#include "readers/input.hpp"

namespace vcpuspec::readers {

class SlotWriter {
 public:
  SlotWriter(Slots slots, StateInput& in);

  // Every call names a field by slot name or by its id in the slot table
  // (readers with fixed field lists resolve them once: slot_ids()). Id -1
  // and names the spec lacks are ignored.
  using Id = long;
  Id id(std::string_view name) const { return find_slot(slots_, name); }
  bool exists(std::string_view name) const { return id(name) >= 0; }
  bool has(Id s) const { return s >= 0 && in_.state.has(static_cast<size_t>(s)); }
  bool has(std::string_view name) const { return has(id(name)); }
  uint64_t get(Id s) const { return s >= 0 ? in_.state.get(static_cast<size_t>(s)) : 0; }
  uint64_t get(std::string_view name) const { return get(id(name)); }

  // A value read from the input. The same field again with another value
  // makes it unreadable: the dump contradicts itself. A value wider than the
  // field is unreadable too.
  void given(Id s, uint64_t value, uint32_t line);
  void given(std::string_view name, uint64_t value, uint32_t line) { given(id(name), value, line); }
  // A number as scanned: given when it could be read, else unreadable.
  void take(Id s, const text::Number& n, uint32_t line);
  void take(std::string_view name, const text::Number& n, uint32_t line) { take(id(name), n, line); }
  // A value the input implies without showing it; `why` goes to the notes.
  void inferred(Id s, uint64_t value, uint32_t line, const std::string& why);
  void inferred(std::string_view name, uint64_t value, uint32_t line, const std::string& why) {
    inferred(id(name), value, line, why);
  }
  // The input shows the field but its value is not certain: it stays missing
  // (with a note saying why, unless `why` is empty: the caller notes it).
  void unreadable(Id s, uint32_t line, const std::string& why);
  void unreadable(std::string_view name, uint32_t line, const std::string& why) { unreadable(id(name), line, why); }
  void note(uint32_t line, std::string text);
  // The input gives this field as the guest's effective value, not as the
  // VMCS field: it counts even where the entry controls would not load it.
  void effective(std::string_view name) {
    if (Id s = id(name); s >= 0) in_.effective.push_back(static_cast<size_t>(s));
  }

  // Splits a raw control word into the 1-bit controls the spec declares for
  // it (`control entry : 32 { load_efer 15; ... }`, spec/vmx/vmcs.vspec).
  void control_word(std::string_view name, uint64_t word, uint32_t line);
  // SVM: the same for the VMCB word at `offset` (`control : 32 at 0x090 {
  // np_enable 0; }`, spec/svm/vmcb.vspec).
  void vmcb_word(unsigned offset, uint64_t word, uint32_t line);

 private:
  Slots slots_;
  StateInput& in_;
  std::vector<bool> unreadable_;  // per slot: once contradicted or garbled, never given again
};

// The VMX access rights (type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14,
// G 15, unusable 16) of other layouts:
// QEMU's SegmentCache.flags (the descriptor's high dword, bits 8..23).
uint64_t ar_from_qemu_flags(uint64_t flags);

// A raw VMX control word (`entry`, `primary`, ...) as the slots that hold it:
// each named bit, and the other bits (`entry.other_bits`). Empty when `name`
// is not a control word of the spec.
std::vector<std::pair<size_t, uint64_t>> split_control_word(Slots slots, std::string_view name, uint64_t word);
// The width of the VMX control word `name` (its `name.other_bits`), or 0 when
// `name` is not one: what a whole word given as input must fit in.
unsigned control_word_width(Slots slots, std::string_view name);
// The VMCB's 12-bit attrib (APM Vol.2 15.5.1: type, S, DPL, P in 7:0; AVL,
// L, DB, G in 11:8).
uint64_t ar_from_vmcb_attrib(uint64_t attrib);

}  // namespace vcpuspec::readers

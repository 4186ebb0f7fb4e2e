#include "runtime/check.hpp"
#include "readers/slot_writer.hpp"
#include "runtime/table_cache.hpp"

namespace vcpuspec::readers {

SlotWriter::SlotWriter(Slots slots, StateInput& in) : slots_(slots), in_(in), unreadable_(slots.size(), false) {
  if (in_.state.size() != slots.size()) {
    in_.state = rt::State(slots.size());
    in_.origin.assign(slots.size(), Origin::Missing);
  }
}

void SlotWriter::note(uint32_t line, std::string text) { in_.notes.push_back({line, std::move(text)}); }

void SlotWriter::given(Id i, uint64_t value, uint32_t line) {
  if (i < 0) return;
  size_t s = static_cast<size_t>(i);
  if (unreadable_[s]) return;
  unsigned width = slots_[s].width;
  if (width < 64 && (value >> width) != 0) {
    unreadable(i, line, "value " + rt::format_value(value, 64) + " does not fit in " + std::to_string(width) + " bits");
    return;
  }
  if (in_.state.has(s) && in_.origin[s] == Origin::Given) {
    if (in_.state.get(s) != value)
      unreadable(i, line,
                 "shown twice with different values (" + rt::format_value(in_.state.get(s), width) + " and " +
                     rt::format_value(value, width) + ")");
    return;
  }
  in_.state.set(s, value);
  in_.origin[s] = Origin::Given;
}

void SlotWriter::take(Id i, const text::Number& n, uint32_t line) {
  if (n.ok) given(i, n.value, line);
  else unreadable(i, line, n.why);
}

void SlotWriter::inferred(Id i, uint64_t value, uint32_t line, const std::string& why) {
  if (i < 0) return;
  size_t s = static_cast<size_t>(i);
  if (unreadable_[s]) return;
  unsigned width = slots_[s].width;
  in_.state.set(s, width < 64 ? value & rt::mask_of(width) : value);
  in_.origin[s] = Origin::Inferred;
  if (!why.empty()) note(line, std::string(slots_[s].name) + " = " + rt::format_value(value, width) + " inferred: " + why);
}

void SlotWriter::unreadable(Id i, uint32_t line, const std::string& why) {
  if (i < 0) return;
  size_t s = static_cast<size_t>(i);
  bool was = unreadable_[s];
  unreadable_[s] = true;
  in_.state.clear(s);
  in_.origin[s] = Origin::Missing;
  if (!was && !why.empty()) note(line, std::string(slots_[s].name) + " unreadable (" + why + "): left missing");
}

namespace {

// The 1-bit controls a raw word splits into, and the bit of each, read off
// the declarations once per slot table and word (`key`: the control prefix
// or the VMCB offset): parsing every slot's text for every control word of
// every dump was most of a VMCS dump's read time.
using WordBits = std::vector<std::pair<long, unsigned>>;  // (slot, bit)

template <class BitOf>
const WordBits& word_bits(Slots slots, const std::string& key, BitOf bit_of) {
  return rt::once_per_table<WordBits>(std::pair(slots.data(), key), [&] {
    WordBits bits;
    for (size_t i = 0; i < slots.size(); ++i)
      if (long bit = bit_of(slots[i]); bit >= 0) bits.emplace_back(static_cast<long>(i), static_cast<unsigned>(bit));
    return bits;
  });
}

}  // namespace

std::vector<std::pair<size_t, uint64_t>> split_control_word(Slots slots, std::string_view name, uint64_t word) {
  std::vector<std::pair<size_t, uint64_t>> parts;
  auto bit_of = [&](const rt::SlotInfo& s) -> long { return s.bit >= 0 && name == s.word ? s.bit : -1; };
  uint64_t named = 0;
  for (const auto& [slot, bit] : word_bits(slots, std::string(name), bit_of)) {
    parts.emplace_back(static_cast<size_t>(slot), (word >> bit) & 1);
    named |= 1ULL << bit;
  }
  if (long other = find_slot(slots, std::string(name) + ".other_bits"); other >= 0)
    parts.emplace_back(static_cast<size_t>(other), word & ~named & rt::mask_of(slots[static_cast<size_t>(other)].width));
  return parts;
}

unsigned control_word_width(Slots slots, std::string_view name) {
  long other = find_slot(slots, std::string(name) + ".other_bits");
  return other < 0 ? 0 : slots[static_cast<size_t>(other)].width;
}

void SlotWriter::control_word(std::string_view name, uint64_t word, uint32_t line) {
  for (const auto& [slot, value] : split_control_word(slots_, name, word)) given(static_cast<Id>(slot), value, line);
}

void SlotWriter::vmcb_word(unsigned offset, uint64_t word, uint32_t line) {
  auto bit_of = [&](const rt::SlotInfo& s) -> long {
    return s.bit >= 0 && s.word_offset == static_cast<long>(offset) ? s.bit : -1;
  };
  for (const auto& [slot, bit] : word_bits(slots_, "vmcb " + std::to_string(offset), bit_of))
    given(slot, (word >> bit) & 1, line);
}

uint64_t ar_from_qemu_flags(uint64_t flags) { return (flags >> 8) & 0xF0FF; }

uint64_t ar_from_vmcb_attrib(uint64_t attrib) { return (attrib & 0xFF) | ((attrib & 0xF00) << 4); }

}  // namespace vcpuspec::readers

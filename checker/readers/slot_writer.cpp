#include "runtime/check.hpp"
#include "readers/slot_writer.hpp"

#include <cctype>
#include <cstdlib>

namespace vcpuspec::readers {

namespace {

// The number after `word` in a declaration's text ("... bit 31: ..."), or -1.
long number_after(std::string_view doc, std::string_view word, int base) {
  for (size_t at = doc.find(word); at != std::string_view::npos; at = doc.find(word, at + 1)) {
    size_t i = at + word.size();
    size_t begin = i;
    while (i < doc.size() && (base == 16 ? std::isxdigit(static_cast<unsigned char>(doc[i]))
                                         : std::isdigit(static_cast<unsigned char>(doc[i]))))
      ++i;
    if (i == begin) continue;
    return std::strtol(std::string(doc.substr(begin, i - begin)).c_str(), nullptr, base);
  }
  return -1;
}

}  // namespace

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

void SlotWriter::control_word(std::string_view prefix, uint64_t word, uint32_t line) {
  for (const rt::SlotInfo& s : slots_) {
    std::string_view n = s.name;
    if (s.kind != rt::SlotKind::Control || s.width != 1 || n.substr(0, prefix.size()) != prefix) continue;
    long bit = number_after(s.doc ? s.doc : "", "bit ", 10);
    if (bit < 0 || bit > 63) continue;
    given(n, (word >> bit) & 1, line);
  }
}

void SlotWriter::vmcb_word(unsigned offset, uint64_t word, uint32_t line) {
  for (const rt::SlotInfo& s : slots_) {
    if (s.kind != rt::SlotKind::Control || s.width != 1 || !s.doc) continue;
    std::string_view doc = s.doc;
    long off = number_after(doc, "offset ", 16);
    if (off != static_cast<long>(offset)) continue;
    size_t at = doc.find("offset ");
    long bit = number_after(doc.substr(at), "bit ", 10);
    if (bit < 0 || bit > 31) continue;
    given(s.name, (word >> bit) & 1, line);
  }
}

uint64_t ar_from_qemu_flags(uint64_t flags) { return (flags >> 8) & 0xF0FF; }

uint64_t ar_from_vmcb_attrib(uint64_t attrib) { return (attrib & 0xFF) | ((attrib & 0xF00) << 4); }

}  // namespace vcpuspec::readers

// The lines Linux's dump_vmcs() and Xen's vmcs_dump_vcpu() print alike (both
// descend from the same code): the "*** Guest/Host/Control State ***"
// sections, guest CR0/CR4 "actual" values, RSP/RIP, debug and non-register
// state, the host-state lines and the control words. Each reader keeps its own
// segment, EFER and header lines.
#pragma once
#include <cstdint>
#include <optional>

#include "readers/dump_text.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers::vmcs {

enum class Section { None, Guest, Host, Control };

// "*** Guest State ***" and the like; nullopt for other lines.
std::optional<Section> section_header(std::string_view line);

// The section a dump cut before its header is in, from a line printed only
// there: "CR0: actual=" (guest), "PinBased=", "VMExit:", "EPT pointer" and
// the like (control); None for a line both print or neither.
Section section_of(std::string_view line);
// The note for a dump read from such a line on: which section it starts in.
const char* headerless_note(Section s);

// The raw control words as printed; split at the end of a dump, when the
// primary word says whether the secondary one is active.
struct ControlWords {
  std::optional<uint64_t> pin, primary, secondary, tertiary, entry, exit;
  uint32_t line = 0;
};

// Reads one line of the section; false when the line is not one it knows.
bool guest_line(const text::Line& l, SlotWriter& w);
bool host_line(const text::Line& l, SlotWriter& w);
bool control_line(const text::Line& l, SlotWriter& w, ControlWords& words);

// Splits the control words into the spec's controls (secondary.* are 0
// unless primary bit 31 activates them), and infers the capabilities a set
// control proves (secondary.unrestricted_guest=1 means the CPU has it).
void apply_controls(const ControlWords& words, SlotWriter& w);

}  // namespace vcpuspec::readers::vmcs

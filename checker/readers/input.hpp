// What every reader produces: a state over the spec's slots, where each
// value came from, and reading errors with positions.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "runtime/state.hpp"

namespace vcpuspec::readers {

// Where a slot's value came from.
// NotLoaded: the input gives the field, but the VM entry it records does not
// load it (a control bit's `loads` is 0), so it is not the guest's value.
enum class Origin : uint8_t { Missing, Given, Defaulted, Set, Inferred, NotLoaded };
const char* origin_name(Origin o);

// Something a reader wants the report to say: a field it could not read, a
// value it inferred and why, noise it removed. `line` 0: the whole input.
struct ReaderNote {
  uint32_t line = 0;
  std::string text;
};

struct StateInput {
  std::string file;     // as given on the command line ("-" is "<stdin>")
  std::string part;     // which vCPU or dump of a file that holds several ("CPU#1"), else ""
  std::string format;   // "json", "qemu", "kvm-vmcs", "kvm-vmcb", "xen-vmcs", "kvm-sregs"
  bool format_detected = false;  // chosen by --format auto
  std::string flavor = "arch";   // arch | vmx | svm
  Origin flavor_origin = Origin::Defaulted;
  std::string flavor_why;        // for an inferred flavor: from what
  std::string source;   // free text from the input
  std::string vendor;   // "intel" | "amd" | ""
  Origin vendor_origin = Origin::Missing;
  rt::State state;
  std::vector<Origin> origin;  // per slot
  std::vector<ReaderNote> notes;
  // Slots the input gives as the guest's effective value, not as the VMCS or
  // VMCB field: they count whatever the entry controls (KVM's "EFER (effective)").
  std::vector<size_t> effective;
  // Where the state is the VMCS or VMCB a VMM builds from a guest-visible
  // dump (QEMU read as vmx: CR0.NE and CR4.VMXE set), the guest's own values:
  // what --expect compares with the architectural RESET/INIT state.
  struct GuestValue {
    size_t slot;
    uint64_t value;
    Origin origin;
  };
  std::vector<GuestValue> guest_values;
  // The VMM does not enter with segment state VM entry refuses: it emulates
  // the guest instead (KVM without unrestricted guest, vmx_emulation_required).
  bool vmm_emulates_invalid_segments = false;

  // "file" or "file [CPU#1]": how reports name this input.
  std::string name() const { return part.empty() ? file : file + " [" + part + "]"; }
};

// The input as the guest sees it: `guest_values` put back.
StateInput guest_visible(const StateInput& in);

// A bad input: one line, `file:line:col: error: message`.
struct ReadError {
  std::string file;
  uint32_t line = 0, col = 0;
  std::string message;
  std::string format() const;
};

using Slots = std::span<const rt::SlotInfo>;

// Parses a number as the inputs write them: "0x1F", "31", "0b11111", with
// optional '_' separators. False when it is not a non-negative integer that
// fits in 64 bits.
bool parse_u64(std::string_view text, uint64_t& out);

// Fills configuration the input did not give from the spec's defaults.
void apply_defaults(Slots slots, StateInput& in);
// After slot `changed` got a new value (--set), controls inferred from it follow.
void refresh_followers(Slots slots, StateInput& in, size_t changed);

// Finds a slot by name; -1 when there is none.
long find_slot(Slots slots, std::string_view name);
// A reader's fixed field names, each found once per slot table rather than
// once per dump (a hash lookup per field per dump was a fifth of a QEMU
// dump's read time). `names` must be a static array: it is part of the key.
// Ids follow `names`; -1 where the spec lacks the name.
std::span<const long> slot_ids(Slots slots, std::span<const std::string_view> names);
// " (did you mean 'X'?)" or "".
std::string suggest_slot(Slots slots, std::string_view name, bool state_only);

}  // namespace vcpuspec::readers

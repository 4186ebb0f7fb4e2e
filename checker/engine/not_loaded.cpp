#include "engine/not_loaded.hpp"

#include <algorithm>

#include "runtime/check.hpp"

namespace vcpuspec::engine {

namespace {

// `activates W` (primary.activate_secondary): where the bit is given as 0, VM
// entry reads every control of W as 0 (SDM Vol.3 27.2.1.1): an input's values
// for them, or their defaults, are not what the entry sees.
void zero_inactive_word(readers::Slots slots, readers::StateInput& in, const rt::SlotInfo& control) {
  const std::string word = control.activates;
  const std::string other = word + ".other_bits";
  std::string ignored;
  for (size_t s = 0; s < slots.size(); ++s) {
    if (word != slots[s].word && other != slots[s].name) continue;
    if (in.state.has(s) && in.state.get(s) != 0 && in.origin[s] != readers::Origin::Inferred)
      ignored += (ignored.empty() ? "" : ", ") + std::string(slots[s].name) + "=" +
                 rt::format_value(in.state.get(s), slots[s].width);
    in.state.set(s, 0);
    in.origin[s] = readers::Origin::Inferred;
  }
  // Only values the input gave and the entry ignores are worth a note; the
  // zeros set in place of absent controls show in the `inferred:` line.
  if (!ignored.empty())
    in.notes.push_back({0, std::string(control.name) + "=0, so VM entry reads every " + word + " control as 0 (ignored: " +
                               ignored + ")"});
}

}  // namespace

void drop_not_loaded(readers::Slots slots, readers::StateInput& in) {
  std::string dropped;  // "DR7, DEBUGCTL (entry.load_debug_controls=0); ..."
  for (size_t c = 0; c < slots.size(); ++c) {
    const rt::SlotInfo& control = slots[c];
    if (control.activates && *control.activates && in.flavor == "vmx" && in.state.has(c) && in.state.get(c) == 0 &&
        (in.origin[c] == readers::Origin::Given || in.origin[c] == readers::Origin::Set))
      zero_inactive_word(slots, in, control);
    if (!control.num_loads || !in.state.has(c) || in.state.get(c) != 0) continue;
    if (in.origin[c] != readers::Origin::Given && in.origin[c] != readers::Origin::Set) continue;
    // A VMCB word (declared `at` an offset) controls an svm entry, a VMCS word a
    // vmx one: a JSON state may list both kinds, and only its own applies.
    if (in.flavor != (control.word_offset >= 0 ? "svm" : "vmx")) continue;
    std::string fields;
    for (uint8_t k = 0; k < control.num_loads; ++k) {
      const size_t f = control.loads[k];
      if (!in.state.has(f) || std::find(in.effective.begin(), in.effective.end(), f) != in.effective.end()) continue;
      in.state.clear(f);
      in.origin[f] = readers::Origin::NotLoaded;
      // `loads EFER else e`: what the guest has instead, where the state decides it.
      uint64_t value = 0;
      if (control.loads_else && control.loads_else(in.state, value)) {
        in.state.set(f, value);
        in.origin[f] = readers::Origin::Inferred;
        in.notes.push_back({0, std::string(slots[f].name) + " = " + rt::format_value(value, slots[f].width) + " inferred: " +
                                   control.name + "=0, so the entry does not load the " + slots[f].name +
                                   " field; the guest's is " + control.loads_else_text});
        continue;
      }
      fields += (fields.empty() ? "" : ", ") + std::string(slots[f].name);
    }
    if (!fields.empty()) dropped += (dropped.empty() ? "" : "; ") + fields + " (" + control.name + "=0)";
  }
  if (!dropped.empty())
    in.notes.push_back({0, "not loaded by this entry, so not the guest's values and judged by no check: " + dropped});
}

bool reads_only_not_loaded(const rt::CheckInfo& c, readers::Slots slots, const readers::StateInput& in) {
  bool reads_state = false;
  for (uint16_t k = 0; k < c.num_reads; ++k) {
    const size_t s = c.reads[k];
    if (!rt::is_state_slot(slots[s].kind)) continue;
    if (in.origin[s] != readers::Origin::NotLoaded) return false;
    reads_state = true;
  }
  return reads_state;
}

}  // namespace vcpuspec::engine

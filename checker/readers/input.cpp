#include "readers/input.hpp"

#include <tuple>
#include <unordered_map>

#include "readers/dumps.hpp"
#include "runtime/nearest.hpp"
#include "runtime/table_cache.hpp"

#include <algorithm>
#include <cctype>

namespace vcpuspec::readers {

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::Missing: return "missing";
    case Origin::Given: return "given";
    case Origin::Defaulted: return "defaulted";
    case Origin::Set: return "set";
    case Origin::Inferred: return "inferred";
    case Origin::NotLoaded: return "not-loaded";
  }
  return "?";
}

std::string ReadError::format() const {
  std::string s = file;
  if (line) s += ":" + std::to_string(line) + ":" + std::to_string(col);
  return s + ": error: " + message;
}

bool parse_u64(std::string_view t, uint64_t& out) {
  unsigned base = 10;
  size_t i = 0;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) { base = 16; i = 2; }
  else if (t.size() > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) { base = 2; i = 2; }
  unsigned __int128 acc = 0;
  bool digits = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '_' && digits) continue;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    if (d >= static_cast<int>(base)) return false;
    acc = acc * base + static_cast<unsigned>(d);
    if (acc > UINT64_MAX) return false;
    digits = true;
  }
  if (!digits) return false;
  out = static_cast<uint64_t>(acc);
  return true;
}

namespace {

// Which slots have a default and which follow another: every input of a
// batch walks them.
struct DefaultPlan {
  std::vector<uint32_t> defaulted, followers;
};

const DefaultPlan& default_plan(Slots slots) {
  return rt::once_per_table<DefaultPlan>(std::pair(slots.data(), slots.size()), [&] {
    DefaultPlan p;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].has_default) p.defaulted.push_back(static_cast<uint32_t>(i));
      if (slots[i].default_from >= 0) p.followers.push_back(static_cast<uint32_t>(i));
    }
    return p;
  });
}

}  // namespace

void apply_defaults(Slots slots, StateInput& in) {
  const DefaultPlan& plan = default_plan(slots);
  for (uint32_t i : plan.defaulted) {
    if (in.state.has(i)) continue;
    in.state.set(i, slots[i].default_value);
    in.origin[i] = Origin::Defaulted;
  }
  // Controls that follow a capability (`control X = feature.Y`), after the
  // capability itself got its value.
  for (uint32_t i : plan.followers) {
    auto from = static_cast<size_t>(slots[i].default_from);
    if (in.state.has(i) || !in.state.has(from)) continue;
    in.state.set(i, in.state.get(from));
    in.origin[i] = Origin::Inferred;
  }
}

void refresh_followers(Slots slots, StateInput& in, size_t changed) {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].default_from == static_cast<int32_t>(changed) &&
        (!in.state.has(i) || in.origin[i] == Origin::Inferred)) {
      in.state.set(i, in.state.get(changed));
      in.origin[i] = Origin::Inferred;
    }
}

long find_slot(Slots slots, std::string_view name) {
  // Readers look up every field they meet (strcmp over all slots was half
  // of a dump's read time): one hash index per slot table, built on first
  // use. Tables are the generated static arrays; a hit is still compared
  // with the table, so a table at a reused address cannot give a wrong slot.
  using Index = std::unordered_map<std::string_view, long>;
  const Index& by_name = rt::once_per_table<Index>(std::pair(slots.data(), slots.size()), [&] {
    Index ix;
    for (size_t i = 0; i < slots.size(); ++i) ix.emplace(slots[i].name, static_cast<long>(i));  // first wins
    return ix;
  });
  auto it = by_name.find(name);
  if (it == by_name.end()) return -1;
  if (name == slots[static_cast<size_t>(it->second)].name) return it->second;
  for (size_t i = 0; i < slots.size(); ++i)
    if (name == slots[i].name) return static_cast<long>(i);
  return -1;
}

std::span<const long> slot_ids(Slots slots, std::span<const std::string_view> names) {
  return rt::once_per_table<std::vector<long>>(std::tuple(slots.data(), slots.size(), names.data()), [&] {
    std::vector<long> ids;
    for (std::string_view n : names) ids.push_back(find_slot(slots, n));
    return ids;
  });
}

std::string suggest_slot(Slots slots, std::string_view name, bool state_only) {
  // Suggest only names of the kind asked for.
  std::vector<std::string_view> names;
  for (const rt::SlotInfo& s : slots)
    if (state_only ? rt::is_state_slot(s.kind) : rt::is_config_slot(s.kind)) names.push_back(s.name);
  std::string best = support::nearest(name, names);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

void finish_input(StateInput& in, Slots slots, const ReadOptions& o) {
  if (!o.flavor.empty()) {
    in.flavor = o.flavor;
    in.flavor_origin = Origin::Set;
    in.flavor_why.clear();
  }
  apply_defaults(slots, in);
}

StateInput guest_visible(const StateInput& in) {
  StateInput out = in;
  for (const StateInput::GuestValue& g : in.guest_values) {
    out.state.set(g.slot, g.value);
    out.origin[g.slot] = g.origin;
  }
  out.guest_values.clear();
  return out;
}

}  // namespace vcpuspec::readers

#include "readers/state_json.hpp"

#include <algorithm>
#include <set>

#include "readers/json.hpp"
#include "readers/slot_writer.hpp"

namespace vcpuspec::readers {

namespace {

class Reader {
 public:
  Reader(const std::string& file, Slots slots) : file_(file), slots_(slots) {}

  std::variant<StateInput, ReadError> run(std::string_view text) {
    json::Error jerr;
    std::optional<json::Value> root = json::parse(text, jerr);
    if (!root) return ReadError{file_, jerr.line, jerr.col, "invalid JSON: " + jerr.message};
    return run(*root, {}, true);
  }

  // `extra`: keys the caller reads itself (a trace line's step, op, writes).
  std::variant<StateInput, ReadError> run(const json::Value& top, std::span<const std::string_view> extra,
                                          bool defaults) {
    const json::Value* root = &top;
    in_.file = file_;
    in_.format = "json";
    in_.state = rt::State(slots_.size());
    in_.origin.assign(slots_.size(), Origin::Missing);
    if (root->kind != json::Value::Kind::Object) return err(*root, "expected a JSON object, found " + std::string(json::kind_name(root->kind)));
    if (!unique_keys(*root)) return *error_;
    for (const auto& [key, v] : root->members) {
      if (key == "schema") {
        if (v.kind != json::Value::Kind::String || v.text != kStateSchema)
          return err(v, std::string("unsupported schema: expected \"") + kStateSchema + "\"");
      } else if (key == "flavor") {
        if (v.kind != json::Value::Kind::String || (v.text != "arch" && v.text != "vmx" && v.text != "svm"))
          return err(v, "\"flavor\" must be \"arch\", \"vmx\" or \"svm\"");
        in_.flavor = v.text;
        in_.flavor_origin = Origin::Given;
      } else if (key == "source") {
        if (v.kind != json::Value::Kind::String) return err(v, "\"source\" must be a string");
        in_.source = v.text;
      } else if (key == "cpu") {
        if (!cpu(v)) return *error_;
      } else if (key == "config" || key == "controls") {
        if (!config(v, key)) return *error_;
      } else if (key == "state") {
        if (!state(v)) return *error_;
      } else if (std::find(extra.begin(), extra.end(), key) == extra.end()) {
        std::string expected = "schema, flavor, source, cpu, config, controls, state";
        for (std::string_view x : extra) expected += ", " + std::string(x);
        return err_key(v, "unknown top-level field \"" + key + "\" (expected " + expected + ")");
      }
    }
    if (defaults) apply_defaults(slots_, in_);
    return std::move(in_);
  }

 private:
  ReadError err(const json::Value& v, std::string msg) {
    error_ = ReadError{file_, v.line, v.col, std::move(msg)};
    return *error_;
  }
  ReadError err_key(const json::Value& v, std::string msg) {
    error_ = ReadError{file_, v.key_line, v.key_col, std::move(msg)};
    return *error_;
  }
  bool fail(const json::Value& v, std::string msg) {
    err(v, std::move(msg));
    return false;
  }
  bool fail_key(const json::Value& v, std::string msg) {
    err_key(v, std::move(msg));
    return false;
  }

  bool unique_keys(const json::Value& obj) {
    std::set<std::string> seen;
    for (const auto& [k, v] : obj.members)
      if (!seen.insert(k).second) return fail_key(v, "duplicate field \"" + k + "\"");
    return true;
  }

  bool object(const json::Value& v, const std::string& what) {
    if (v.kind != json::Value::Kind::Object)
      return fail(v, "\"" + what + "\" must be an object, not " + json::kind_name(v.kind));
    return unique_keys(v);
  }

  // Stores `v` into slot `id`, checking its type and width.
  bool assign(long id, const json::Value& v, const std::string& name) {
    const rt::SlotInfo& s = slots_[static_cast<size_t>(id)];
    uint64_t x = 0;
    if (v.kind == json::Value::Kind::Bool) {
      if (s.width != 1) return fail(v, "\"" + name + "\" is a " + std::to_string(s.width) + "-bit value, not a boolean");
      x = v.boolean ? 1 : 0;
    } else if (v.kind == json::Value::Kind::String || v.kind == json::Value::Kind::Number) {
      if (!parse_u64(v.text, x))
        return fail(v, "\"" + name + "\": '" + v.text.substr(0, 40) +
                           "' is not a non-negative integer of at most 64 bits (write hex as \"0x...\")");
    } else {
      return fail(v, "\"" + name + "\" must be a number, a hex string or a boolean, not " + json::kind_name(v.kind));
    }
    if (s.has_range && (x < s.range_lo || x > s.range_hi))
      return fail(v, "\"" + name + "\": value " + std::to_string(x) + " is outside " + std::to_string(s.range_lo) +
                         ".." + std::to_string(s.range_hi));
    if (s.width < 64 && (x >> s.width) != 0)
      return fail(v, "\"" + name + "\": value " + v.text.substr(0, 40) + " does not fit in " +
                         std::to_string(s.width) + "-bit " + s.name);
    if (in_.state.has(static_cast<size_t>(id)))
      return fail(v, "\"" + name + "\" is given twice (" + s.name + ")");
    in_.state.set(static_cast<size_t>(id), x);
    in_.origin[static_cast<size_t>(id)] = Origin::Given;
    return true;
  }

  bool cpu(const json::Value& v) {
    if (!object(v, "cpu")) return false;
    // "features" fills in every feature it does not list, so it goes last:
    // `"la57": true` means the same before or after it.
    std::vector<const json::Member*> order;
    for (const json::Member& m : v.members)
      if (m.key != "features") order.push_back(&m);
    for (const json::Member& m : v.members)
      if (m.key == "features") order.push_back(&m);
    for (const json::Member* m : order) {
      const std::string& key = m->key;
      const json::Value& item = m->value;
      if (key == "vendor") {
        if (item.kind != json::Value::Kind::String || (item.text != "intel" && item.text != "amd"))
          return fail(item, "\"cpu.vendor\" must be \"intel\" or \"amd\"");
        in_.vendor = item.text;
        in_.vendor_origin = Origin::Given;
        continue;
      }
      if (key == "features") {
        if (item.kind != json::Value::Kind::Array) return fail(item, "\"cpu.features\" must be an array of names");
        // The list is complete: every cpu.* feature not in it is absent.
        std::set<std::string> listed;
        for (const json::Value& f : item.items) {
          if (f.kind != json::Value::Kind::String) return fail(f, "a CPU feature name must be a string");
          long id = find_slot(slots_, "cpu." + f.text);
          if (id < 0 || slots_[static_cast<size_t>(id)].kind != rt::SlotKind::Feature)
            return fail(f, "unknown CPU feature \"" + f.text + "\"" + suggest_slot(slots_, "cpu." + f.text, false));
          if (!listed.insert(f.text).second) return fail(f, "CPU feature \"" + f.text + "\" is listed twice");
        }
        for (size_t i = 0; i < slots_.size(); ++i) {
          const rt::SlotInfo& s = slots_[i];
          std::string_view n = s.name;
          if (s.kind != rt::SlotKind::Feature || n.substr(0, 4) != "cpu.") continue;
          if (in_.state.has(i)) continue;  // given explicitly as cpu.<name>
          in_.state.set(i, listed.count(std::string(n.substr(4))) ? 1 : 0);
          in_.origin[i] = Origin::Given;
        }
        continue;
      }
      long id = find_slot(slots_, "cpu." + key);
      if (id < 0 || rt::is_state_slot(slots_[static_cast<size_t>(id)].kind))
        return fail_key(item, "unknown CPU field \"" + key + "\"" + suggest_slot(slots_, "cpu." + key, false));
      if (!assign(id, item, "cpu." + key)) return false;
    }
    return true;
  }

  // A whole VMX control word (`"entry": "0x11ff"`): split into its named
  // controls and `entry.other_bits`, as the dump readers do.
  bool assign_word(const std::string& key, unsigned width, const json::Value& v) {
    uint64_t x = 0;
    if ((v.kind != json::Value::Kind::String && v.kind != json::Value::Kind::Number) || !parse_u64(v.text, x))
      return fail(v, "\"" + key + "\" is a control word: give its raw value as a number or a hex string \"0x...\"");
    if (width < 64 && (x >> width))
      return fail(v, "\"" + key + "\": value " + v.text.substr(0, 40) + " does not fit in the " + std::to_string(width) +
                         "-bit word");
    for (const auto& [slot, value] : split_control_word(slots_, key, x)) {
      if (in_.state.has(slot))
        return fail(v, "\"" + key + "\" gives " + std::string(slots_[slot].name) + " a second time");
      in_.state.set(slot, value);
      in_.origin[slot] = Origin::Given;
    }
    return true;
  }

  bool config(const json::Value& v, const std::string& section) {
    if (!object(v, section)) return false;
    for (const auto& [key, item] : v.members) {
      long id = find_slot(slots_, key);
      if (unsigned width = id < 0 && section == "controls" ? control_word_width(slots_, key) : 0) {
        if (!assign_word(key, width, item)) return false;
        continue;
      }
      bool ok = id >= 0;
      if (ok) {
        rt::SlotKind k = slots_[static_cast<size_t>(id)].kind;
        ok = section == "controls" ? k == rt::SlotKind::Control : (k == rt::SlotKind::Param || k == rt::SlotKind::Feature);
      }
      if (!ok)
        return fail_key(item, "unknown " + std::string(section == "controls" ? "control" : "configuration") + " \"" +
                                  key + "\"" + suggest_slot(slots_, key, false));
      if (!assign(id, item, key)) return false;
    }
    return true;
  }

  bool state(const json::Value& v) {
    if (!object(v, "state")) return false;
    for (const auto& [key, item] : v.members) {
      bool group = false;  // a segment or descriptor table
      for (const rt::SlotInfo& s : slots_)
        if (key == s.group) group = true;
      if (item.kind == json::Value::Kind::Object) {
        // {"sel": ..., "base": ..., "limit": ..., "ar": ...}
        if (!group)
          return fail_key(item, "\"" + key + "\" is not a segment or descriptor table" +
                                    suggest_slot(slots_, key, true));
        if (!unique_keys(item)) return false;
        for (const auto& [member, mv] : item.members) {
          long id = find_slot(slots_, key + "." + member);
          if (id < 0) {
            std::string members;
            for (const rt::SlotInfo& s : slots_)
              if (key == s.group) members += (members.empty() ? "" : ", ") + std::string(s.member);
            return fail_key(mv, "unknown field \"" + member + "\" of " + key + " (expected " + members + ")");
          }
          if (!assign(id, mv, key + "." + member)) return false;
        }
        continue;
      }
      long id = find_slot(slots_, key);
      if (group) return fail(item, "\"" + key + "\" is a segment or descriptor table: give an object of its members");
      if (id >= 0 && !rt::is_state_slot(slots_[static_cast<size_t>(id)].kind))
        return fail_key(item, "\"" + key + "\" is configuration, not vCPU state: put it under \"cpu\" or \"config\"");
      if (id < 0) return fail_key(item, "unknown state field \"" + key + "\"" + suggest_slot(slots_, key, true));
      if (!assign(id, item, key)) return false;
    }
    return true;
  }

  std::string file_;
  Slots slots_;
  StateInput in_;
  std::optional<ReadError> error_;
};

}  // namespace

std::variant<StateInput, ReadError> read_state_json(std::string_view text, const std::string& file, Slots slots) {
  return Reader(file, slots).run(text);
}

std::variant<StateInput, ReadError> read_state_value(const json::Value& root, const std::string& file, Slots slots,
                                                     std::span<const std::string_view> extra_keys) {
  return Reader(file, slots).run(root, extra_keys, false);
}

}  // namespace vcpuspec::readers

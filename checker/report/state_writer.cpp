#include "report/state_writer.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "readers/state_json.hpp"

namespace vcpuspec::report {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string write_state_json(readers::Slots slots, const std::string& flavor, const std::string& source,
                             const std::vector<smt::FieldValue>& values) {
  nlohmann::ordered_json j;
  j["schema"] = readers::kStateSchema;
  j["flavor"] = flavor;
  j["source"] = source;
  nlohmann::ordered_json config = nlohmann::ordered_json::object(), controls = nlohmann::ordered_json::object(),
                         state = nlohmann::ordered_json::object();
  for (const smt::FieldValue& v : values) {
    long id = readers::find_slot(slots, v.field);
    if (id < 0) continue;
    const rt::SlotInfo& s = slots[static_cast<size_t>(id)];
    switch (s.kind) {
      case rt::SlotKind::Feature: config[s.name] = v.value != 0; break;
      case rt::SlotKind::Param: config[s.name] = hex(v.value); break;
      case rt::SlotKind::Control: controls[s.name] = hex(v.value); break;
      case rt::SlotKind::Register:
      case rt::SlotKind::Msr: state[s.name] = hex(v.value); break;
      case rt::SlotKind::SegmentMember:
      case rt::SlotKind::DtableMember: state[s.group][s.member] = hex(v.value); break;
      default: break;
    }
  }
  if (!config.empty()) j["config"] = std::move(config);
  if (!controls.empty()) j["controls"] = std::move(controls);
  j["state"] = std::move(state);
  return j.dump(2) + "\n";
}

}  // namespace vcpuspec::report

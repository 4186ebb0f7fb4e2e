#include "report/witness_report.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "report/state_writer.hpp"

namespace vcpuspec::report {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const smt::FieldValue* find(const std::vector<smt::FieldValue>& vs, const std::string& name) {
  for (const smt::FieldValue& v : vs)
    if (v.field == name) return &v;
  return nullptr;
}

}  // namespace

std::string witness_text(const ir::Model& m, const ir::Check& c, const smt::WitnessPair& w, const std::string& in) {
  std::string out;
  if (w.outcome == smt::Outcome::Unknown) return in + "no witness: Z3 returned unknown (" + w.reason + ")\n";
  if (w.outcome == smt::Outcome::Failed) {
    if (w.implied_by.empty()) return in + "no witness: " + w.reason + "\n";
    std::string list;
    for (const std::string& d : w.implied_by) list += (list.empty() ? "" : ", ") + d;
    return in + "no state fails it alone: it is implied by " + list + " (lint reports the overlap)\n";
  }
  out += in + "flavor " + w.flavor + "; the failing state differs from the passing one in: ";
  std::string changed;
  for (const std::string& f : w.changed) {
    const smt::FieldValue* p = find(w.passing, f);
    const smt::FieldValue* q = find(w.failing, f);
    changed += (changed.empty() ? "" : ", ") + f + " " + hex(p ? p->value : 0) + " -> " + hex(q ? q->value : 0);
  }
  out += changed + "\n";
  out += in + "fields the check reads (pass / fail):\n";
  for (ir::SlotId id : c.reads) {
    const std::string& name = m.slot(id).name;
    const smt::FieldValue* p = find(w.passing, name);
    const smt::FieldValue* q = find(w.failing, name);
    if (!p || !q) continue;
    out += in + "  " + name + " = " + hex(p->value) + " / " + hex(q->value) + "\n";
  }
  out += in + "as state JSON: vcpuspec witness " + c.id + " --state pass|fail\n";
  return out;
}

std::string witness_json(readers::Slots slots, const smt::WitnessPair& w, int exit_code) {
  nlohmann::ordered_json j;
  j["schema"] = "vcpuspec.witness/1";
  j["check"] = w.check;
  j["flavor"] = w.flavor;
  j["outcome"] = w.outcome == smt::Outcome::Proved ? "found" : w.outcome == smt::Outcome::Failed ? "none" : "unknown";
  if (!w.reason.empty()) j["reason"] = w.reason;
  if (!w.implied_by.empty()) j["implied_by"] = w.implied_by;
  if (w.outcome == smt::Outcome::Proved) {
    j["changed"] = w.changed;
    j["pass"] = nlohmann::ordered_json::parse(write_state_json(slots, w.flavor, "vcpuspec witness " + w.check + " (passes every check)", w.passing));
    j["fail"] = nlohmann::ordered_json::parse(write_state_json(slots, w.flavor, "vcpuspec witness " + w.check + " (fails only this check)", w.failing));
  }
  j["exit_code"] = exit_code;
  return j.dump(2) + "\n";
}

}  // namespace vcpuspec::report

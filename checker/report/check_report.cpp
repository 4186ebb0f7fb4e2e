#include "report/check_report.hpp"

#include <nlohmann/json.hpp>

#include "runtime/check.hpp"

namespace vcpuspec::report {

std::string fact_line(const rt::Fact& f) {
  std::string s = f.field + " = " + (f.known ? rt::format_value(f.value, f.width) : std::string("?")) +
                  ", expected " + f.expected;
  if (!f.because.empty()) s += " (required because " + f.because + ")";
  return s;
}

namespace {

// A value as text reports print it: a ranged parameter in decimal, as its
// range is written (cpu.maxphyaddr = 36); anything else by rt::format_value.
std::string value_text(const rt::SlotInfo& s, uint64_t v) {
  return s.has_range ? std::to_string(v) : rt::format_value(v, s.width);
}

// "cpu.maxphyaddr = 36, CR3 = 0x1000": a completion of the missing fields
// (a ranged parameter in decimal, as its range is written); with `other`,
// only the fields whose value differs from it there.
std::string completion_text(const std::vector<smt::FieldValue>& values, readers::Slots slots,
                            const std::vector<smt::FieldValue>* other = nullptr) {
  auto same = [&](const smt::FieldValue& v) {
    if (!other) return false;
    for (const smt::FieldValue& o : *other)
      if (o.field == v.field) return o.value == v.value;
    return false;
  };
  std::string s;
  for (const smt::FieldValue& v : values) {
    if (same(v)) continue;
    long id = readers::find_slot(slots, v.field);
    s += (s.empty() ? "" : ", ") + v.field + " = " +
         (id >= 0 ? value_text(slots[static_cast<size_t>(id)], v.value) : rt::format_value(v.value, v.width));
  }
  return s;
}

// Whether the two completions of an undecided result differ only in CPU
// parameters and features.
bool cpu_decides(const engine::CheckResult& r, readers::Slots slots) {
  for (size_t k = 0; k < r.fails_with.size() && k < r.holds_with.size(); ++k) {
    if (r.fails_with[k].value == r.holds_with[k].value) continue;
    long id = readers::find_slot(slots, r.fails_with[k].field);
    if (id < 0) return false;
    rt::SlotKind kind = slots[static_cast<size_t>(id)].kind;
    if (kind != rt::SlotKind::Param && kind != rt::SlotKind::Feature) return false;
  }
  return true;
}

// Whether the two completions share some field's value.
bool alike(const engine::CheckResult& r) {
  for (size_t k = 0; k < r.fails_with.size() && k < r.holds_with.size(); ++k)
    if (r.fails_with[k].value == r.holds_with[k].value) return true;
  return false;
}

// "cpu.maxphyaddr (32..52), CR3": the fields an exact verdict ranged over.
std::string ranged_over(std::span<const char* const> missing, readers::Slots slots) {
  std::string s;
  for (const char* m : missing) {
    s += std::string(s.empty() ? "" : ", ") + m;
    long id = readers::find_slot(slots, m);
    if (id >= 0 && slots[static_cast<size_t>(id)].has_range) {
      const rt::SlotInfo& si = slots[static_cast<size_t>(id)];
      s += " (" + std::to_string(si.range_lo) + ".." + std::to_string(si.range_hi) + ")";
    }
  }
  return s;
}

std::string origins(const readers::StateInput& in, readers::Slots slots, readers::Origin which, bool config_only = false) {
  std::string s;
  for (size_t i = 0; i < slots.size(); ++i)
    if (in.origin[i] == which && !(config_only && rt::is_state_slot(slots[i].kind)))
      s += (s.empty() ? "" : ", ") + std::string(slots[i].name) + "=" + value_text(slots[i], in.state.get(i));
  return s;
}

}  // namespace

std::string verdict_text(const engine::CheckRun& r, std::string_view flavor) {
  auto tally = [](const engine::Tally& t) {
    return " (" + std::to_string(t.fail) + " fail, " + std::to_string(t.unknown) + " unknown, " +
           std::to_string(t.pass) + " pass)";
  };
  std::string entry = r.entry_asked ? std::string("entry ") + engine::answer_name(r.entry_answer()) + tally(r.entry)
                                    : "entry not asked (flavor " + std::string(flavor) + ": the input is no VM entry)";
  return entry + "; architecture " + engine::answer_name(r.architecture_answer()) + tally(r.architecture);
}

std::string check_text(const std::vector<CheckedInput>& inputs, readers::Slots slots, const CheckReportOptions& o) {
  std::string out;
  for (const CheckedInput& ci : inputs) {
    const readers::StateInput& in = *ci.input;
    size_t state_slots = 0, given = 0;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!rt::is_state_slot(slots[i].kind)) continue;
      ++state_slots;
      if (in.state.has(i)) ++given;
    }
    out += "== " + in.name() + " (" + in.format + ", flavor " + in.flavor + "; " + std::to_string(given) + " of " +
           std::to_string(state_slots) + " state fields given)\n";
    for (const readers::ReaderNote& n : in.notes)
      out += "   note: " + (n.line ? "line " + std::to_string(n.line) + ": " : std::string()) + n.text + "\n";
    // A dump's configuration (controls, capabilities) is read from it: say which.
    if (in.format != "json")
      if (std::string d = origins(in, slots, readers::Origin::Given, true); !d.empty()) out += "   given: " + d + "\n";
    if (std::string d = origins(in, slots, readers::Origin::Defaulted); !d.empty()) out += "   defaulted: " + d + "\n";
    if (std::string d = origins(in, slots, readers::Origin::Set); !d.empty()) out += "   set: " + d + "\n";
    std::string inferred;
    if (in.flavor_origin == readers::Origin::Inferred)
      inferred = "flavor=" + in.flavor + (in.flavor_why.empty() ? "" : " (" + in.flavor_why + ")");
    if (in.vendor_origin == readers::Origin::Inferred) inferred += (inferred.empty() ? "" : ", ") + ("vendor=" + in.vendor);
    if (std::string d = origins(in, slots, readers::Origin::Inferred); !d.empty()) inferred += (inferred.empty() ? "" : ", ") + d;
    if (!inferred.empty()) out += "   inferred: " + inferred + "\n";
    // Failures first: the first lines a user reads name the broken rules.
    std::vector<const engine::CheckResult*> order;
    for (const engine::CheckResult& r : ci.run.results)
      if (r.verdict == rt::Verdict::Fail) order.push_back(&r);
    for (const engine::CheckResult& r : ci.run.results)
      if (r.verdict != rt::Verdict::Fail) order.push_back(&r);
    // An undecided check that reads state or controls of which the input shows
    // none says nothing about this input: one line lists them all (each one
    // with --verbose), so that the undecided checks the input nearly decides
    // stand out.
    auto blind = [&](const rt::CheckInfo& c) {
      bool reads_input = false;
      for (uint16_t k = 0; k < c.num_reads; ++k) {
        const rt::SlotInfo& s = slots[c.reads[k]];
        if (s.kind == rt::SlotKind::Param || s.kind == rt::SlotKind::Feature) continue;
        if (in.state.has(c.reads[k])) return false;
        reads_input = true;
      }
      return reads_input;
    };
    std::string blind_ids;
    size_t blind_count = 0;
    for (const engine::CheckResult* rp : order) {
      const engine::CheckResult& r = *rp;
      const rt::CheckInfo& c = *r.info;
      if (r.verdict == rt::Verdict::Unknown && !o.verbose && blind(c)) {
        blind_ids += (blind_ids.empty() ? "" : ", ") + std::string(c.id);
        ++blind_count;
        continue;
      }
      switch (r.verdict) {
        case rt::Verdict::Fail:
          out += "FAIL    " + std::string(c.id) + ": " + c.text + "\n";
          for (const rt::Fact& f : r.facts) out += "        " + fact_line(f) + "\n";
          if (r.facts.empty()) out += "        predicate: " + std::string(c.predicate) + "\n";
          if (r.exact)
            out += "        decided: fails for every value of " + ranged_over(ci.run.missing(r), slots) +
                   ", which the input does not give (" + r.exact_by + ")" +
                   (r.fails_with.empty() ? "" : "; shown with " + completion_text(r.fails_with, slots)) + "\n";
          out += "        cite: " + std::string(c.cite) + "\n";
          out += "        answers: " + engine::question_text(c, ci.run) + "\n";
          out += "        whose: " + engine::blame_text(r) + "\n";
          break;
        case rt::Verdict::Unknown: {
          std::string miss;
          for (const char* m : ci.run.missing(r)) miss += std::string(miss.empty() ? "" : ", ") + m;
          out += "UNKNOWN " + std::string(c.id) + ": " + c.text + "\n        not decidable without: " +
                 (miss.empty() ? "(inputs)" : miss) + "\n";
          // Shown where the CPU's parameters and features alone make the
          // difference (a --set decides it); any completion with --verbose.
          if (!r.fails_with.empty() && (o.verbose || cpu_decides(r, slots)))
            out += "        fails with " + completion_text(r.fails_with, slots, &r.holds_with) + "; holds with " +
                   completion_text(r.holds_with, slots, &r.fails_with) + (alike(r) ? " (other missing fields alike)" : "") +
                   "\n";
          if (!r.gave_up.empty()) out += "        Z3 gave up: " + r.gave_up + "\n";
          break;
        }
        case rt::Verdict::Pass:
          if (o.verbose) out += "pass    " + std::string(c.id) + "\n";
          break;
        case rt::Verdict::NotApplicable:
          if (o.verbose) out += "n/a     " + std::string(c.id) + "\n";
          break;
      }
    }
    if (blind_count)
      out += "UNKNOWN " + std::to_string(blind_count) + " more: the input shows none of the state or control fields " +
             (blind_count == 1 ? "it reads" : "they read") + " (--verbose lists each, `vcpuspec explain ID` its fields): " +
             blind_ids + "\n";
    const engine::CheckRun& r = ci.run;
    out += "checks: " + std::to_string(r.fail) + " fail, " + std::to_string(r.unknown) + " unknown, " +
           std::to_string(r.pass) + " pass, " + std::to_string(r.not_applicable) + " not applicable (" +
           std::to_string(r.results.size()) + " checks for flavor " + in.flavor + ")\n";
    out += "verdict: " + verdict_text(r, in.flavor) + "\n";

    if (ci.expect) {
      const smt::ExpectReport& e = *ci.expect;
      size_t match = 0, mismatch = 0, conflict = 0, not_compared = 0;
      std::string not_shown, unspecified, undecided;
      for (const smt::FieldComparison& f : e.fields) {
        switch (f.match) {
          case smt::FieldMatch::Match:
            ++match;
            if (o.verbose) out += "   match    " + f.field + " = " + rt::format_value(f.actual, f.width) + "\n";
            break;
          case smt::FieldMatch::Mismatch:
            ++mismatch;
            out += "MISMATCH " + e.state + " " + f.field + " = " + rt::format_value(f.actual, f.width) + ", expected " +
                   f.expected + "\n";
            if (!f.cite.empty()) out += "        cite: " + f.cite + "\n";
            out += "        whose: " + e.state + " mismatch: the VMM's RESET/INIT code left this field wrong\n";
            break;
          case smt::FieldMatch::Conflict:
            ++conflict;
            out += "CONFLICT " + e.state + " " + f.field + " = " + rt::format_value(f.actual, f.width) + ": " + f.why + "\n";
            break;
          case smt::FieldMatch::NotCompared:
            ++not_compared;
            std::string& list = f.why == "not in the input" ? not_shown
                                : f.why.find("unspecified") != std::string::npos ? unspecified : undecided;
            list += (list.empty() ? "" : ", ") + f.field;
            break;
        }
      }
      out += "expect " + e.state + ": " +
             std::string(e.outcome == smt::Outcome::Proved ? "equal"
                         : e.outcome == smt::Outcome::Failed ? "NOT equal"
                                                             : "unknown") +
             " (" + std::to_string(mismatch) + " mismatch, " + std::to_string(conflict) + " conflict, " +
             std::to_string(match) + " match, " + std::to_string(not_compared) + " not compared" +
             (ci.expect_used_solver ? "; decided with Z3" : "") + ")\n";
      if (!e.reason.empty()) out += "   " + e.reason + "\n";
      for (const smt::FieldValue& v : e.inferred)
        out += "   inferred " + v.field + " = " + rt::format_value(v.value, v.width) +
               " (not in the input: the one value for which the state is " + e.state + ")\n";
      if (!not_shown.empty()) out += "   not compared (not in the input): " + not_shown + "\n";
      if (!unspecified.empty()) out += "   not compared (unspecified by " + e.state + "): " + unspecified + "\n";
      if (!undecided.empty()) out += "   not compared (depends on inputs not given): " + undecided + "\n";
      if (!ci.expect_cite.empty()) out += "   cite: " + ci.expect_cite + "\n";
    }
  }
  return out;
}

nlohmann::ordered_json input_json(const CheckedInput& ci, readers::Slots slots) {
  using nlohmann::ordered_json;
  {
    const readers::StateInput& in = *ci.input;
    ordered_json j;
    j["file"] = in.file;
    if (!in.part.empty()) j["part"] = in.part;
    j["format"] = in.format;
    j["format_detected"] = in.format_detected;
    j["flavor"] = in.flavor;
    j["flavor_origin"] = readers::origin_name(in.flavor_origin);
    if (!in.vendor.empty()) j["vendor"] = {{"value", in.vendor}, {"origin", readers::origin_name(in.vendor_origin)}};
    if (!in.source.empty()) j["source"] = in.source;
    ordered_json origin = ordered_json::object();
    for (size_t i = 0; i < slots.size(); ++i) {
      readers::Origin o = in.origin[i];
      if (rt::is_state_slot(slots[i].kind)) continue;  // inferred state: "inferred_state" below
      bool dump_config = o == readers::Origin::Given && in.format != "json";
      if (o == readers::Origin::Defaulted || o == readers::Origin::Set || o == readers::Origin::Inferred || dump_config)
        origin[slots[i].name] = {{"value", rt::format_value(in.state.get(i), slots[i].width)},
                                 {"origin", readers::origin_name(o)}};
    }
    j["configuration"] = origin;
    ordered_json inferred_state = ordered_json::object();
    for (size_t i = 0; i < slots.size(); ++i)
      if (in.origin[i] == readers::Origin::Inferred && rt::is_state_slot(slots[i].kind))
        inferred_state[slots[i].name] = rt::format_value(in.state.get(i), slots[i].width);
    if (!inferred_state.empty()) j["inferred_state"] = inferred_state;
    std::vector<std::string> not_loaded;  // given, but the entry does not load them
    for (size_t i = 0; i < slots.size(); ++i)
      if (in.origin[i] == readers::Origin::NotLoaded) not_loaded.push_back(slots[i].name);
    if (!not_loaded.empty()) j["not_loaded"] = not_loaded;
    if (!in.notes.empty()) {
      ordered_json notes = ordered_json::array();
      for (const readers::ReaderNote& n : in.notes) {
        ordered_json nj;
        if (n.line) nj["line"] = n.line;
        nj["text"] = n.text;
        notes.push_back(nj);
      }
      j["notes"] = notes;
    }
    ordered_json results = ordered_json::array();
    for (const engine::CheckResult& r : ci.run.results) {
      ordered_json x;
      x["id"] = r.info->id;
      x["verdict"] = rt::verdict_name(r.verdict);
      x["scope"] = r.info->scope;
      x["question"] = r.info->question;
      x["text"] = r.info->text;
      x["cite"] = r.info->cite;
      if (r.blame != engine::Blame::None) {
        x["whose"] = engine::blame_name(r.blame);
        x["whose_text"] = engine::blame_text(r);
      }
      if (r.verdict == rt::Verdict::Fail) {
        ordered_json facts = ordered_json::array();
        for (const rt::Fact& f : r.facts) {
          ordered_json fj;
          fj["field"] = f.field;
          fj["value"] = f.known ? ordered_json(rt::format_value(f.value, f.width)) : ordered_json(nullptr);
          fj["expected"] = f.expected;
          if (!f.because.empty()) fj["because"] = f.because;
          facts.push_back(fj);
        }
        x["facts"] = facts;
      }
      if (r.verdict == rt::Verdict::Unknown) x["missing"] = std::vector<std::string>(ci.run.missing(r).begin(), ci.run.missing(r).end());
      if (r.exact) {
        x["for_every_value_of"] = std::vector<std::string>(ci.run.missing(r).begin(), ci.run.missing(r).end());
        x["decided_by"] = r.exact_by;
      }
      auto completion = [](const std::vector<smt::FieldValue>& values) {
        ordered_json o = ordered_json::object();
        for (const smt::FieldValue& v : values) o[v.field] = rt::format_value(v.value, v.width);
        return o;
      };
      if (!r.fails_with.empty() && r.verdict == rt::Verdict::Unknown) {
        x["fails_with"] = completion(r.fails_with);
        x["holds_with"] = completion(r.holds_with);
      }
      if (!r.fails_with.empty() && r.verdict == rt::Verdict::Fail) x["shown_with"] = completion(r.fails_with);
      if (!r.gave_up.empty()) x["gave_up"] = r.gave_up;
      results.push_back(x);
    }
    j["checks"] = results;
    auto tally = [](const engine::Tally& t, engine::Answer a) {
      return ordered_json{{"answer", engine::answer_name(a)}, {"fail", t.fail}, {"unknown", t.unknown}, {"pass", t.pass}};
    };
    j["summary"] = {{"fail", ci.run.fail}, {"unknown", ci.run.unknown}, {"pass", ci.run.pass},
                    {"not_applicable", ci.run.not_applicable},
                    {"entry", tally(ci.run.entry, ci.run.entry_answer())},
                    {"architecture", tally(ci.run.architecture, ci.run.architecture_answer())}};
    if (ci.expect) {
      const smt::ExpectReport& e = *ci.expect;
      ordered_json ej;
      ej["state"] = e.state;
      ej["outcome"] = e.outcome == smt::Outcome::Proved ? "equal" : e.outcome == smt::Outcome::Failed ? "not-equal" : "unknown";
      if (!e.reason.empty()) ej["reason"] = e.reason;
      ej["decided_with_z3"] = ci.expect_used_solver;
      ordered_json fields = ordered_json::array();
      for (const smt::FieldComparison& f : e.fields) {
        ordered_json fj;
        fj["field"] = f.field;
        fj["result"] = smt::field_match_name(f.match);
        if (f.match != smt::FieldMatch::NotCompared || f.why != "not in the input")
          fj["value"] = rt::format_value(f.actual, f.width);
        if (!f.expected.empty()) fj["expected"] = f.expected;
        if (!f.why.empty()) fj["why"] = f.why;
        fields.push_back(fj);
      }
      ej["fields"] = fields;
      ordered_json inferred = ordered_json::object();
      for (const smt::FieldValue& v : e.inferred) inferred[v.field] = rt::format_value(v.value, v.width);
      ej["inferred"] = inferred;
      j["expect"] = ej;
    }
    return j;
  }
}

std::string check_json(const std::vector<CheckedInput>& inputs, readers::Slots slots, int exit_code) {
  using nlohmann::ordered_json;
  ordered_json root;
  root["schema"] = kCheckSchema;
  ordered_json arr = ordered_json::array();
  for (const CheckedInput& ci : inputs) arr.push_back(input_json(ci, slots));
  root["inputs"] = arr;
  root["exit_code"] = exit_code;
  return root.dump(2) + "\n";
}

}  // namespace vcpuspec::report

#include "report/sarif.hpp"

#include <map>
#include <string_view>
#include <nlohmann/json.hpp>

#include "runtime/check.hpp"

namespace vcpuspec::report {

namespace {

using nlohmann::ordered_json;

ordered_json driver(ordered_json rules) {
  ordered_json d;
  d["name"] = "vcpuspec";
  d["version"] = "0.1.0";
  d["rules"] = std::move(rules);
  return d;
}

ordered_json log_of(ordered_json drv, ordered_json results, ordered_json artifacts) {
  ordered_json run;
  run["tool"]["driver"] = std::move(drv);
  if (!artifacts.empty()) run["artifacts"] = std::move(artifacts);
  run["results"] = std::move(results);
  ordered_json log;
  log["$schema"] = kSarifSchema;
  log["version"] = kSarifVersion;
  log["runs"] = ordered_json::array({std::move(run)});
  return log;
}

ordered_json text(const std::string& s) { return ordered_json{{"text", s}}; }

// Collects rules in first-use order; results refer to them by index.
class Rules {
 public:
  size_t index(const std::string& id, const std::string& short_text, const std::string& full_text,
               const ordered_json& props, const std::string& help_uri = "") {
    auto it = index_.find(id);
    if (it != index_.end()) return it->second;
    ordered_json r;
    r["id"] = id;
    r["shortDescription"] = text(short_text);
    if (!full_text.empty()) r["fullDescription"] = text(full_text);
    if (!help_uri.empty()) r["helpUri"] = help_uri;
    if (!props.empty()) r["properties"] = props;
    rules_.push_back(std::move(r));
    index_.emplace(id, rules_.size() - 1);
    return rules_.size() - 1;
  }
  ordered_json take() { return std::move(rules_); }

 private:
  ordered_json rules_ = ordered_json::array();
  std::map<std::string, size_t> index_;
};

ordered_json artifact_location(const std::string& file, size_t index) {
  return ordered_json{{"uri", file}, {"index", index}};
}

}  // namespace

std::string check_sarif(const std::vector<CheckedInput>& inputs, readers::Slots slots) {
  Rules rules;
  ordered_json results = ordered_json::array(), artifacts = ordered_json::array();
  for (size_t a = 0; a < inputs.size(); ++a) {
    const CheckedInput& ci = inputs[a];
    artifacts.push_back(ordered_json{{"location", ordered_json{{"uri", ci.input->file}}}});
    ordered_json where = ordered_json::array(
        {ordered_json{{"physicalLocation", ordered_json{{"artifactLocation", artifact_location(ci.input->file, a)}}}}});
    for (const engine::CheckResult& r : ci.run.results) {
      if (r.verdict != rt::Verdict::Fail && r.verdict != rt::Verdict::Unknown) continue;
      const rt::CheckInfo& c = *r.info;
      ordered_json props{{"scope", c.scope}, {"question", c.question}, {"cite", c.cite}, {"predicate", c.predicate}};
      if (*c.when) props["when"] = c.when;
      std::vector<std::string> links;
      for (std::string_view rest = c.links; !rest.empty();) {
        size_t nl = rest.find('\n');
        links.emplace_back(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      }
      if (!links.empty()) props["links"] = links;
      size_t idx = rules.index(c.id, c.text, std::string(c.text) + " (" + c.cite + ")", props,
                               links.empty() ? "" : links.front());
      ordered_json res;
      res["ruleId"] = c.id;
      res["ruleIndex"] = idx;
      std::string msg = std::string(c.id) + ": " + c.text;
      ordered_json fields = ordered_json::array();
      if (r.verdict == rt::Verdict::Fail) {
        res["kind"] = "fail";
        res["level"] = "error";
        for (const rt::Fact& f : r.facts) {
          msg += "; " + f.field + " = " + (f.known ? rt::format_value(f.value, f.width) : std::string("?")) +
                 ", expected " + f.expected + (f.because.empty() ? "" : " (because " + f.because + ")");
          fields.push_back(ordered_json{{"fullyQualifiedName", f.field}, {"kind", "variable"}});
        }
        msg += ". Cite: " + std::string(c.cite) + ". Answers: " + engine::question_text(c, ci.run) +
               ". Whose: " + engine::blame_text(r);
        res["properties"] = ordered_json{{"whose", engine::blame_name(r.blame)}, {"question", c.question},
                                         {"flavor", ci.input->flavor}};
      } else {
        res["kind"] = "open";
        res["level"] = "none";
        std::string miss;
        for (const char* m : ci.run.missing(r)) {
          miss += std::string(miss.empty() ? "" : ", ") + m;
          fields.push_back(ordered_json{{"fullyQualifiedName", m}, {"kind", "variable"}});
        }
        msg += ". Unknown: not decidable without " + miss;
      }
      res["message"] = text(msg);
      ordered_json loc = where[0];
      if (!fields.empty()) loc["logicalLocations"] = fields;
      res["locations"] = ordered_json::array({loc});
      results.push_back(std::move(res));
    }
    if (ci.expect) {
      for (const smt::FieldComparison& f : ci.expect->fields) {
        if (f.match != smt::FieldMatch::Mismatch && f.match != smt::FieldMatch::Conflict) continue;
        std::string id = "EXPECT." + ci.expect->state;
        size_t idx = rules.index(id, "the state equals the spec's " + ci.expect->state + " state",
                                 ci.expect_cite, ordered_json::object());
        ordered_json res;
        res["ruleId"] = id;
        res["ruleIndex"] = idx;
        res["kind"] = "fail";
        res["level"] = "error";
        res["message"] = text(f.field + " = " + rt::format_value(f.actual, f.width) +
                              (f.match == smt::FieldMatch::Mismatch ? ", expected " + f.expected : ": " + f.why) +
                              (f.cite.empty() ? "" : ". Cite: " + f.cite));
        ordered_json loc = where[0];
        loc["logicalLocations"] = ordered_json::array({ordered_json{{"fullyQualifiedName", f.field}, {"kind", "variable"}}});
        res["locations"] = ordered_json::array({loc});
        results.push_back(std::move(res));
      }
    }
  }
  (void)slots;
  return log_of(driver(rules.take()), std::move(results), std::move(artifacts)).dump(2) + "\n";
}

std::string lint_sarif(const smt::LintReport& rep, const SourceManager& sm) {
  Rules rules;
  ordered_json results = ordered_json::array();
  for (const smt::LintFinding& f : rep.findings) {
    std::string id = "lint." + f.rule;
    size_t idx = rules.index(id, "vcpuspec lint: " + f.rule, "", ordered_json::object());
    ordered_json res;
    res["ruleId"] = id;
    res["ruleIndex"] = idx;
    res["level"] = f.severity == smt::LintFinding::Severity::Error     ? "error"
                   : f.severity == smt::LintFinding::Severity::Warning ? "warning"
                                                                        : "note";
    res["message"] = text(f.message);
    if (f.loc.valid()) {
      ordered_json phys;
      phys["artifactLocation"] = ordered_json{{"uri", sm.file(f.loc.file).path}};
      phys["region"] = ordered_json{{"startLine", f.loc.line}, {"startColumn", f.loc.col}};
      ordered_json loc{{"physicalLocation", phys}};
      if (!f.check.empty())
        loc["logicalLocations"] = ordered_json::array({ordered_json{{"fullyQualifiedName", f.check}, {"kind", "member"}}});
      res["locations"] = ordered_json::array({loc});
    }
    results.push_back(std::move(res));
  }
  return log_of(driver(rules.take()), std::move(results), ordered_json::array()).dump(2) + "\n";
}

}  // namespace vcpuspec::report

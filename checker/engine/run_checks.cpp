#include "engine/run_checks.hpp"

#include <algorithm>

namespace vcpuspec::engine {

bool scope_applies(std::string_view scope, std::string_view flavor) { return scope == "arch" || scope == flavor; }

CheckRun run_checks(std::span<const rt::CheckInfo> checks, readers::Slots slots, const readers::StateInput& in,
                    const std::vector<std::string>& only) {
  CheckRun run;
  for (const rt::CheckInfo& c : checks) {
    if (!scope_applies(c.scope, in.flavor)) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), c.id) == only.end()) continue;
    CheckResult r;
    r.info = &c;
    r.verdict = c.eval(in.state);
    switch (r.verdict) {
      case rt::Verdict::Pass: ++run.pass; break;
      case rt::Verdict::NotApplicable: ++run.not_applicable; break;
      case rt::Verdict::Fail:
        ++run.fail;
        c.explain(in.state, r.facts);
        break;
      case rt::Verdict::Unknown:
        ++run.unknown;
        for (uint16_t i = 0; i < c.num_reads; ++i)
          if (!in.state.has(c.reads[i])) r.missing.push_back(slots[c.reads[i]].name);
        break;
    }
    run.results.push_back(std::move(r));
  }
  return run;
}

}  // namespace vcpuspec::engine

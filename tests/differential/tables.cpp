#include "differential/tables.hpp"

#include <stdexcept>
#include <string>

#include "checker.gen.hpp"
#include "ops/checker.gen.hpp"
#include "support/helpers.hpp"

namespace vcpuspec::test {

namespace {

template <class Files>
std::unique_ptr<front::LoadedSpec> load(const Files* files, size_t n) {
  std::vector<SourceFile> src;
  for (size_t i = 0; i < n; ++i) src.push_back(SourceFile{files[i].path, files[i].text});
  auto spec = front::load_spec_sources(src);
  if (!spec->model) throw std::runtime_error("embedded spec does not load");
  return spec;
}

}  // namespace

// Every check in exactly one group of its own scope, at most 64 to a group.
void check_groups(const Tables& t) {
  std::vector<int> seen(t.checks.size(), 0);
  for (const rt::CheckGroup& g : t.groups) {
    if (g.num_checks == 0 || g.num_checks > 64) throw std::runtime_error("check group of " + std::to_string(g.num_checks) + " checks");
    for (unsigned k = 0; k < g.num_checks; ++k) {
      if (g.checks[k] >= t.checks.size() || std::string(t.checks[g.checks[k]].scope) != g.scope)
        throw std::runtime_error("check group lists a check of another scope");
      ++seen[g.checks[k]];
    }
  }
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i] != 1) throw std::runtime_error(std::string("check ") + t.checks[i].id + " is in " + std::to_string(seen[i]) + " groups");
}

void compare_groups(const Tables& t, const rt::State& s, GroupComparison& out, std::string& first) {
  for (const rt::CheckGroup& grp : t.groups) {
    const rt::GroupVerdicts gv = grp.eval(s);
    bool decided = true;
    for (unsigned k = 0; k < grp.num_checks; ++k) {
      const rt::CheckInfo& c = t.checks[grp.checks[k]];
      const rt::Verdict own = c.eval(s);
      decided = decided && own != rt::Verdict::Unknown;
      if (gv.at(k) != own && out.disagreements++ < 5)
        first += std::string(c.id) + ": group says " + rt::verdict_name(gv.at(k)) + ", the check " + rt::verdict_name(own) + "\n";
    }
    out.decided_groups += decided;
  }
}

Tables x86_tables() {
  return Tables{std::span(generated::kSlots, generated::kNumSlots), std::span(generated::kChecks, generated::kNumChecks),
                std::span(generated::kStates, generated::kNumStates), std::span(generated::kCheckGroups, generated::kNumCheckGroups),
                builtin_spec().model.get()};
}

Tables ops_tables() {
  static std::unique_ptr<front::LoadedSpec> spec = load(generated_ops::kSpecFiles, generated_ops::kNumSpecFiles);
  return Tables{std::span(generated_ops::kSlots, generated_ops::kNumSlots),
                std::span(generated_ops::kChecks, generated_ops::kNumChecks),
                std::span(generated_ops::kStates, generated_ops::kNumStates),
                std::span(generated_ops::kCheckGroups, generated_ops::kNumCheckGroups), spec->model.get()};
}

}  // namespace vcpuspec::test

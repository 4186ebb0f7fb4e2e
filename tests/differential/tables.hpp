// A generated checker's tables and the model of the spec it came from, so a
// differential test can run over any generated checker: the x86 spec's, and
// the operator spec's (tests/data/specs/ops).
#pragma once
#include <memory>
#include <span>
#include <vector>

#include "front/load.hpp"
#include "runtime/check.hpp"

namespace vcpuspec::test {

struct Tables {
  std::span<const rt::SlotInfo> slots;
  std::span<const rt::CheckInfo> checks;
  std::span<const rt::StateInfo> states;
  std::span<const rt::CheckGroup> groups;  // the fast path over `checks`
  const ir::Model* model = nullptr;
};

Tables x86_tables();
// Throws unless every check is in exactly one group of its scope.
void check_groups(const Tables& t);

// Runs every group on `s` and each of its checks on its own.
struct GroupComparison {
  size_t disagreements = 0;   // a group's verdict that is not the check's own
  size_t decided_groups = 0;  // groups with no check unknown
};
// Adds to `out`; the first five disagreements are described in `first`.
void compare_groups(const Tables& t, const rt::State& s, GroupComparison& out, std::string& first);
Tables ops_tables();

}  // namespace vcpuspec::test

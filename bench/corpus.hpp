// The states every benchmark runs on, loaded once: the published cases
// (tests/data/published_cases.tsv over its five base states: valid and
// invalid, VMX and SVM) and the dump corpus (tests/data/dumps/: partial
// states as bug reports carry them, mostly arch).
#pragma once
#include <string>
#include <vector>

#include "readers/input.hpp"

namespace vcpuspec::bench {

struct Corpus {
  std::vector<readers::StateInput> states;        // published cases, complete states
  std::vector<std::vector<uint64_t>> values;       // the same, as values by slot (for Z3)
  std::vector<std::string> qemu_dumps;             // the text of every QEMU dump in the corpus
  std::vector<std::string> all_dumps;              // every dump's text
};

const Corpus& corpus();

// The index to use now, stepping `i` round 0..n-1 (no division: the loops
// measured are tens of nanoseconds).
inline size_t cycle(size_t& i, size_t n) {
  const size_t now = i;
  i = now + 1 == n ? 0 : now + 1;
  return now;
}

readers::Slots slots();
std::string source_dir();

}  // namespace vcpuspec::bench

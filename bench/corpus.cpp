#include "corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "checker.gen.hpp"
#include "readers/state_json.hpp"

namespace vcpuspec::bench {

namespace fs = std::filesystem;

std::string source_dir() { return VCPUSPEC_SOURCE_DIR; }

readers::Slots slots() { return readers::Slots(generated::kSlots, generated::kNumSlots); }

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

readers::StateInput base(const std::string& file) {
  fs::path p = fs::path(source_dir()) / "tests/data/published" / file;
  auto r = readers::read_state_json(read_file(p), p.string(), slots());
  if (auto* e = std::get_if<readers::ReadError>(&r)) throw std::runtime_error(e->format());
  return std::get<readers::StateInput>(r);
}

Corpus load() {
  Corpus c;
  std::istringstream tsv(read_file(fs::path(source_dir()) / "tests/data/published_cases.tsv"));
  std::string line;
  while (std::getline(tsv, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    if (cols.size() != 5) continue;
    readers::StateInput in = base(cols[1]);
    if (cols[2] != "-")
      for (const std::string& kv : split(cols[2], ';')) {
        auto eq = kv.find('=');
        long id = readers::find_slot(slots(), kv.substr(0, eq));
        std::string v = kv.substr(eq + 1);
        uint64_t x = 0;
        if (v == "true" || v == "false") x = v == "true";
        else readers::parse_u64(v, x);
        if (id >= 0) in.state.set(static_cast<size_t>(id), x);
      }
    std::vector<uint64_t> vals(slots().size(), 0);
    for (size_t i = 0; i < vals.size(); ++i)
      if (in.state.has(i)) vals[i] = in.state.get(i);
    c.values.push_back(std::move(vals));
    c.states.push_back(std::move(in));
  }
  std::vector<fs::path> dumps;
  for (const auto& e : fs::directory_iterator(fs::path(source_dir()) / "tests/data/dumps"))
    if (e.path().extension() != ".md") dumps.push_back(e.path());
  std::sort(dumps.begin(), dumps.end());
  for (const fs::path& p : dumps) {
    c.all_dumps.push_back(read_file(p));
    if (p.filename().string().rfind("qemu_", 0) == 0) c.qemu_dumps.push_back(c.all_dumps.back());
  }
  return c;
}

}  // namespace

const Corpus& corpus() {
  static const Corpus c = load();
  return c;
}

}  // namespace vcpuspec::bench

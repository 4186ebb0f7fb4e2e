// Damage as a property: what mail, web pages, bug trackers and logs do to a
// pasted dump must not change what the checks decide. Over the whole corpus,
// each damage either keeps every verdict, or turns a decided one into
// UNKNOWN (a cut dump lacks fields); a FAIL never becomes a pass nor a pass a
// FAIL, and a text that read before the damage still reads.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "checker.gen.hpp"
#include "engine/run_checks.hpp"
#include "readers/detect.hpp"
#include "readers/dump_text.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

// For each input read from `text`, in input order: check id -> verdict, and
// field -> value for every field the input gives.
struct Read {
  std::map<std::string, rt::Verdict> verdicts;
  std::map<std::string, uint64_t> fields;
};
using Verdicts = std::vector<Read>;

std::optional<Verdicts> verdicts(const std::string& text) {
  readers::ReadOptions o;
  auto r = readers::read_any(text, "damaged.txt", "auto", test::slots(), o);
  if (std::holds_alternative<readers::ReadError>(r)) return std::nullopt;
  Verdicts out;
  for (const readers::StateInput& in : std::get<readers::Inputs>(r)) {
    engine::CheckRun run = engine::run_checks({generated::kChecks, generated::kNumChecks},
                                              {generated::kCheckGroups, generated::kNumCheckGroups}, test::slots(), in);
    Read& m = out.emplace_back();
    for (const engine::CheckResult& c : run.results) m.verdicts[c.info->id] = c.verdict;
    for (size_t i = 0; i < test::slots().size(); ++i)
      if (in.state.has(i) && in.origin[i] == readers::Origin::Given) m.fields[test::slots()[i].name] = in.state.get(i);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string each_line(const std::string& text, const std::function<std::string(const std::string&)>& f) {
  std::string out;
  for (const std::string& l : lines_of(text)) out += f(l) + "\n";
  return out;
}

// An e-mail client's wrap: break at the last blank before `width` (trailing
// blanks dropped first: a wrap there would only add an empty line).
std::string wrap(const std::string& text, size_t width) {
  return each_line(text, [width](std::string l) {
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();
    std::string out;
    while (l.size() > width) {
      size_t cut = l.rfind(' ', width);
      if (cut == std::string::npos || cut == 0) break;
      out += l.substr(0, cut) + "\n";
      l = l.substr(cut + 1);
    }
    return out + l;
  });
}

struct Damage {
  const char* name;
  std::function<std::string(const std::string&)> apply;
  bool cut = false;  // drops lines: verdicts may become UNKNOWN, inputs may vanish from the end
};

const std::vector<Damage>& damages() {
  static const std::vector<Damage> d = {
      {"wrap at 72", [](const std::string& t) { return wrap(t, 72); }},
      {"wrap at 80", [](const std::string& t) { return wrap(t, 80); }},
      {"quote '> '", [](const std::string& t) { return each_line(t, [](const std::string& l) { return "> " + l; }); }},
      {"quote '>>>> '", [](const std::string& t) { return each_line(t, [](const std::string& l) { return ">>>> " + l; }); }},
      {"indent two spaces", [](const std::string& t) { return each_line(t, [](const std::string& l) { return "  " + l; }); }},
      {"indent a tab", [](const std::string& t) { return each_line(t, [](const std::string& l) { return "\t" + l; }); }},
      {"CRLF", [](const std::string& t) { return each_line(t, [](const std::string& l) { return l + "\r"; }); }},
      {"dmesg timestamp and caller id",
       [](const std::string& t) { return each_line(t, [](const std::string& l) { return "[ 4711.123456][T78789] " + l; }); }},
      {"cut at 50%", [](const std::string& t) { return t.substr(0, t.size() * 50 / 100); }, true},
      {"cut at 70%", [](const std::string& t) { return t.substr(0, t.size() * 70 / 100); }, true},
      {"cut at 90%", [](const std::string& t) { return t.substr(0, t.size() * 90 / 100); }, true},
  };
  return d;
}

// The corpus dumps as posted (JSON states are no paste).
std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/tests/data/dumps"))
    if (e.path().extension() == ".txt") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("damage: no paste damage flips a verdict or loses a dump", "[dumps][damage]") {
  size_t compared = 0;
  std::string flips, lost;
  for (const std::string& path : corpus_files()) {
    std::string text = test::read_text(path);
    std::string name = std::filesystem::path(path).filename().string();
    auto before = verdicts(text);
    REQUIRE(before);
    // Quoted-printable is how a mail archive stores the text, not what a
    // reader sees: mail and web pages damage the decoded text.
    std::string decoded;
    if (text.find("=3D") != std::string::npos && readers::text::decode_quoted_printable(text, decoded)) text = decoded;
    for (const Damage& d : damages()) {
      auto after = verdicts(d.apply(text));
      if (!after) {
        // A cut may leave nothing a reader knows; any other damage must read.
        if (!d.cut) lost += "\n  " + name + ": " + d.name + ": no longer read";
        continue;
      }
      if (!d.cut && after->size() != before->size())
        lost += "\n  " + name + ": " + d.name + ": " + std::to_string(before->size()) + " inputs became " +
                std::to_string(after->size());
      for (size_t i = 0; i < std::min(before->size(), after->size()); ++i) {
        // A field read both times has one value; one read before is read after
        // unless the damage cut it away.
        for (const auto& [field, value] : (*before)[i].fields) {
          auto it = (*after)[i].fields.find(field);
          if (it == (*after)[i].fields.end()) {
            if (!d.cut) lost += "\n  " + name + " [" + std::to_string(i) + "] " + d.name + ": " + field + " no longer read";
          } else if (it->second != value) {
            flips += "\n  " + name + " [" + std::to_string(i) + "] " + d.name + ": " + field + " read as " +
                     std::to_string(it->second) + ", not " + std::to_string(value);
          }
        }
        for (const auto& [id, v] : (*before)[i].verdicts) {
          auto it = (*after)[i].verdicts.find(id);
          rt::Verdict w = it == (*after)[i].verdicts.end() ? rt::Verdict::NotApplicable : it->second;
          ++compared;
          bool flip = (v == rt::Verdict::Fail && w == rt::Verdict::Pass) || (v == rt::Verdict::Pass && w == rt::Verdict::Fail);
          if (flip)
            flips += "\n  " + name + " [" + std::to_string(i) + "] " + d.name + ": " + id + " " + rt::verdict_name(v) +
                     " -> " + rt::verdict_name(w);
        }
      }
    }
  }
  CHECK(compared > 10000);
  // The whole list, unwrapped, for whoever fixes a reader.
  if (const char* out = std::getenv("VCPUSPEC_DAMAGE_REPORT")) std::ofstream(out) << "lost:" << lost << "\nflips:" << flips << "\n";
  INFO("damage that lost a dump:" << lost);
  CHECK(lost.empty());
  INFO("verdicts flipped by damage:" << flips);
  CHECK(flips.empty());
}

// The inventories of what makes a VM entry fail in KVM, Bochs and QEMU
// (tests/data/*_conditions.tsv, each read at a named version): every check a
// row names exists in the spec, every row without one says why, every spec
// check that cites one of those functions is in its table, and the counts
// only move when a table is edited on purpose. docs/entry_conditions.md is
// written from the tables (--update rewrites it).
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <set>
#include <sstream>

#include "support/citation.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

using test::split;

namespace {

struct Row {
  std::string kind, source, function, line, condition, covered_by, note;
};

// One table: its file, what the docs call it, and the `source` prefixes
// (project@version) its rows may have.
struct Table {
  const char* file;
  const char* title;
  std::set<std::string> sources;
  std::vector<Row> rows;
};

std::vector<Row> read_rows(const std::string& file) {
  std::vector<Row> out;
  std::istringstream in(test::read_text(test::source_dir() + "/tests/data/" + file));
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty() || line[0] == '#' || line.rfind("kind\t", 0) == 0) continue;
    std::vector<std::string> col = split(line, '\t');
    INFO(file << ":" << n << ": " << line);
    REQUIRE(col.size() >= 6);
    REQUIRE(col.size() <= 7);
    col.resize(7);
    out.push_back({col[0], col[1], col[2], col[3], col[4], col[5], col[6]});
  }
  return out;
}

std::vector<Table>& tables() {
  static std::vector<Table> t = [] {
    std::vector<Table> v = {
        {"kvm_entry_conditions.tsv", "KVM (Linux v7.1.3): nested VMLAUNCH/VMRESUME and VMRUN",
         {"linux@v7.1.3"}, {}},
        {"bochs_vmx_conditions.tsv", "Bochs 3.0 (REL_3_0_FINAL): VMLAUNCH/VMRESUME", {"bochs@REL_3_0_FINAL"}, {}},
        {"vmrun_conditions.tsv", "QEMU v10.0.13 (TCG) and Bochs 3.0: VMRUN", {"qemu@v10.0.13", "bochs@REL_3_0_FINAL"}, {}},
    };
    for (Table& x : v) x.rows = read_rows(x.file);
    return v;
  }();
  return t;
}

std::string prefix_of(const std::string& note) { return note.substr(0, note.find(':')); }

// "file.c:123" linked to the file at the row's version.
std::string where(const Row& r) {
  auto sp = r.source.find(' ');
  std::string project = r.source.substr(0, r.source.find('@'));
  std::string at = r.source.substr(r.source.find('@') + 1, sp - r.source.find('@') - 1);
  std::string path = r.source.substr(sp + 1);
  Citation c;
  c.kind = project == "linux" ? "linux" : project;
  c.locator = path;
  c.at = at;
  std::string url = citation_url(c);
  std::string anchor = project == "linux" ? "#n" + r.line : "#L" + r.line;
  std::string file = path.substr(path.rfind('/') + 1);
  return "[" + file + ":" + r.line + "](" + url + anchor + ")";
}

std::string cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

}  // namespace

TEST_CASE("entry conditions: every row maps to spec checks or says why not", "[catalogue]") {
  const ir::Model& m = *test::builtin_spec().model;
  std::set<std::string> ids;
  for (const ir::Check& c : m.checks) ids.insert(c.id);
  for (const ir::NonCheck& n : m.nonchecks) ids.insert(n.id);
  const std::set<std::string> kinds = {"vmx-prereq", "vmx-controls", "vmx-host", "vmx-guest",
                                       "svm-vmrun",  "svm-controls", "svm-save"};
  // Expected counts per table: rows, covered (in full or in part), uncovered, own rules.
  const std::map<std::string, std::array<size_t, 4>> counts = {
      {"kvm_entry_conditions.tsv", {176, 151, 12, 13}},
      {"bochs_vmx_conditions.tsv", {246, 235, 11, 0}},
      {"vmrun_conditions.tsv", {49, 48, 0, 1}},
  };
  for (const Table& t : tables()) {
    std::set<std::pair<std::string, std::string>> seen;  // (source function, line condition): one row each
    size_t covered = 0, uncovered = 0, own = 0;
    for (const Row& r : t.rows) {
      INFO(t.file << ": " << r.function << " " << r.line << " " << r.condition);
      CHECK(kinds.count(r.kind));
      bool known_source = false;
      for (const std::string& s : t.sources) known_source |= r.source.rfind(s + " ", 0) == 0;
      CHECK(known_source);
      CHECK(std::stoul(r.line) > 0);
      CHECK(seen.insert({r.source + " " + r.function, r.line + " " + r.condition}).second);
      if (r.covered_by == "-") {
        // An uncovered row says what it needs or that the rule is the VMM's own.
        const std::string p = prefix_of(r.note);
        const bool own_rule = p.size() > 5 && p.ends_with("-only");
        CHECK((p == "uncovered" || own_rule));
        (own_rule ? own : uncovered) += 1;
        continue;
      }
      for (const std::string& id : split(r.covered_by, ',')) {
        std::string trimmed = id.substr(id.find_first_not_of(' '));
        CHECK(ids.count(trimmed) == 1);
      }
      ++covered;
    }
    auto want = counts.at(t.file);
    CHECK(t.rows.size() == want[0]);
    CHECK(covered == want[1]);
    CHECK(uncovered == want[2]);
    CHECK(own == want[3]);
  }
}

// A spec check that cites KVM's nested entry code, Bochs' VM-entry code or
// QEMU's helper_vmrun must be in the table of that source: the table and the
// citations cannot drift apart.
TEST_CASE("entry conditions: every check citing a table's source is in that table", "[catalogue]") {
  const ir::Model& m = *test::builtin_spec().model;
  std::map<std::string, std::set<std::string>> named;  // source file -> ids the rows name
  std::map<std::string, std::string> notes;            // source file -> its rows' notes
  for (const Table& t : tables())
    for (const Row& r : t.rows) {
      const std::string file = r.source.substr(r.source.find(' ') + 1);
      for (const std::string& id : split(r.covered_by, ','))
        named[file].insert(id.substr(id.find_first_not_of(' ')));
      notes[file] += r.note + "\n";
    }
  // KVM_SET_NESTED_STATE validates a saved state; it is no VM entry.
  auto tabled = [&](const Citation& c) {
    if (c.kind == "linux" && c.at == "v7.1.3" &&
        (c.locator == "arch/x86/kvm/vmx/nested.c" || c.locator == "arch/x86/kvm/svm/nested.c"))
      return !c.fn.ends_with("_set_nested_state");
    if (c.kind == "bochs" && c.at == "REL_3_0_FINAL" && (c.locator == "bochs/cpu/svm.cc" || c.locator == "bochs/cpu/vmx.cc"))
      return true;
    return c.kind == "qemu" && c.locator.find("svm_helper.c") != std::string::npos;
  };
  size_t cited = 0;
  for (const ir::Check& c : m.checks)
    for (const Citation& s : c.sources)
      if (tabled(s)) {
        INFO(c.id << " cites " << render(s));
        ++cited;
        // In the table as covering a row, or named in a row's note (why it does not).
        CHECK((named[s.locator].count(c.id) == 1 || notes[s.locator].find(c.id) != std::string::npos));
      }
  CHECK(cited > 100);
}

TEST_CASE("entry conditions: docs/entry_conditions.md is written from the tables", "[catalogue][golden]") {
  std::string md =
      "# What makes a VM entry fail, and which check says so\n\n"
      "<!-- Written by tests/unit/test_entry_conditions.cpp from tests/data/*_conditions.tsv; "
      "run the test with --update after editing a table. -->\n\n"
      "Each table lists every condition under which one implementation fails a VM entry\n"
      "(VMLAUNCH/VMRESUME: VMfail, an invalid-guest-state exit, #UD or #GP; VMRUN:\n"
      "VMEXIT_INVALID, #UD or #GP), read in its source at the version named, with the\n"
      "line it stands on, and the spec checks that fail on the same states. A row\n"
      "without a check says why: `uncovered` (the field the spec would need) or a rule\n"
      "of that implementation alone (`KVM-only`, `Bochs-only`, `QEMU-only`). `partial`\n"
      "notes say where the implementation and the check differ. `vcpuspec explain ID`\n"
      "shows a check with its citations.\n";
  for (const Table& t : tables()) {
    size_t covered = 0, partial = 0;
    for (const Row& r : t.rows) {
      covered += r.covered_by != "-";
      partial += r.covered_by != "-" && prefix_of(r.note) == "partial";
    }
    md += "\n## " + std::string(t.title) + "\n\n" + std::to_string(t.rows.size()) + " conditions: " +
          std::to_string(covered) + " covered (" + std::to_string(partial) + " in part), " +
          std::to_string(t.rows.size() - covered) + " not (`tests/data/" + t.file + "`).\n\n";
    md += "| where | function | condition | checks | note |\n|---|---|---|---|---|\n";
    for (const Row& r : t.rows)
      md += "| " + where(r) + " | `" + cell(r.function) + "` | " + cell(r.condition) + " | " +
            (r.covered_by == "-" ? std::string("-") : "`" + cell(r.covered_by) + "`") + " | " + cell(r.note) + " |\n";
  }
  std::string diff;
  CHECK(test::match_golden(test::source_dir() + "/docs/entry_conditions.md", md, diff));
  if (!diff.empty()) FAIL_CHECK(diff);
}

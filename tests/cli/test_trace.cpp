// `vcpuspec check --trace`: the trace corpus (tests/data/traces/) against its
// golden reports (tests/golden/traces/, rewritten only by --update), the
// exit codes, JSON output, stdin, and the write rules fired by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> traces() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(test::source_dir()) / "tests/data/traces"))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("trace: every trace in the corpus matches its golden report", "[trace][golden]") {
  auto files = traces();
  CHECK(files.size() >= 8);
  for (const std::string& f : files) {
    auto r = test::run_cli({"check", "--trace", "tests/data/traces/" + f});
    INFO(f << "\n" << r.out << r.err);
    CHECK(r.err.empty());
    CHECK((r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 4));
    std::string text = r.out + "[exit " + std::to_string(r.exit_code) + "]\n", diff;
    std::string golden = test::source_dir() + "/tests/golden/traces/" + fs::path(f).stem().string() + ".txt";
    CHECK(test::match_golden(golden, text, diff));
    INFO(diff);
  }
}

TEST_CASE("trace: the first bad step names the rule, the values and the citation", "[trace]") {
  struct Want {
    const char* file;
    const char* rule;
    const char* step;
  };
  const Want wants[] = {
      {"guest_pg_with_lme_without_pae.jsonl", "write rule ARCH.CR0.PG_LME_PAE", "step 3 (line 4"},
      {"guest_clear_pae_in_long_mode.jsonl", "check ARCH.CR4.PAE_IN_LM", "step 1 (line 2"},
      {"vmm_init_stale_lma.jsonl", "check ARCH.LM.CONSISTENT", "step 3 (line 4"},
      {"ftrace_pcide_outside_long_mode.txt", "write rule ARCH.CR4.PCIDE_ENABLE", "step 5 (line 5, cr_write 4"},
      {"ftrace_lme_toggled_while_paging.txt", "write rule ARCH.EFER.LME_FROZEN_PG", "step 3 (line 3, msr_write c0000080"},
  };
  for (const Want& w : wants) {
    auto r = test::run_cli({"check", "--trace", std::string("tests/data/traces/") + w.file});
    INFO(w.file << "\n" << r.out);
    CHECK(r.exit_code == 1);
    // The first line after the header is the finding.
    CHECK(r.out.find("\nFAIL    " + std::string(w.step)) != std::string::npos);
    CHECK(r.out.find(w.rule) != std::string::npos);
    CHECK(r.out.find("cite: ") != std::string::npos);
    CHECK(r.out.find(", expected ") != std::string::npos);
  }
  // The well-behaved guest and the VMM that clears EFER first pass.
  CHECK(test::run_cli({"check", "--trace", "tests/data/traces/guest_enter_long_mode.jsonl"}).exit_code == 0);
  CHECK(test::run_cli({"check", "--trace", "tests/data/traces/vmm_init_efer_cleared.jsonl"}).exit_code == 0);
}

TEST_CASE("trace: JSON output, stdin, --set and usage errors", "[trace]") {
  auto r = test::run_cli({"check", "--trace", "tests/data/traces/guest_pg_with_lme_without_pae.jsonl", "--json"});
  CHECK(r.exit_code == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "vcpuspec.trace/1");
  CHECK(j["exit_code"] == 1);
  const auto& bad = j["vcpus"][0]["first_bad_step"];
  CHECK(bad["kind"] == "write-rule");
  CHECK(bad["rule"]["id"] == "ARCH.CR0.PG_LME_PAE");
  CHECK(bad["line"] == 4);
  CHECK(bad["rule"]["facts"][0]["field"] == "CR4.PAE");
  CHECK(bad["changes"][0]["field"] == "CR0");
  CHECK(bad["changes"][0]["was"] == "0x11");

  auto in = test::run_cli({"check", "--trace", "-"}, test::read_text(test::source_dir() + "/tests/data/traces/guest_enter_long_mode.jsonl"));
  CHECK(in.exit_code == 0);
  CHECK(in.out.find("== <stdin> (trace jsonl") == 0);

  // Two ftrace vCPU threads: one report each.
  auto two = test::run_cli({"check", "--trace", "tests/data/traces/ftrace_linux_boot_two_vcpus.txt", "--json"});
  CHECK(nlohmann::json::parse(two.out)["vcpus"].size() == 2);

  // --set gives configuration from the start: PDPTE checks read cpu.maxphyaddr.
  auto set = test::run_cli({"check", "--trace", "tests/data/traces/guest_enter_long_mode.jsonl", "--set", "cpu.maxphyaddr=39"});
  CHECK(set.exit_code == 0);
  CHECK(test::run_cli({"check", "--trace", "tests/data/traces/guest_enter_long_mode.jsonl", "--set", "CR0=1"}).exit_code == 2);

  auto both = test::run_cli({"check", "--trace", "tests/data/traces/guest_enter_long_mode.jsonl", "docs/examples/kvm_reset_bsp.json"});
  CHECK(both.exit_code == 2);
  CHECK(both.out.empty());
  CHECK(test::run_cli({"check"}).exit_code == 2);
  auto dir = test::run_cli({"check", "--trace", "tests/data/traces"});
  CHECK(dir.exit_code == 3);
  CHECK(dir.err.rfind("tests/data/traces: error: cannot read: a directory", 0) == 0);
  auto missing = test::run_cli({"check", "--trace", "tests/data/traces/no_such.jsonl"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.rfind("tests/data/traces/no_such.jsonl:", 0) == 0);
}

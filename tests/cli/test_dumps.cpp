// The dump corpus (tests/data/dumps/, sources in its README.md): every dump
// through `vcpuspec check` as users run it, compared with its golden report
// (tests/golden/dumps/, rewritten only by --update), and the corpus as one
// batch. Per-dump options below exercise --expect, --flavor and --set.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

namespace {

const std::string kDir = "tests/data/dumps";

// Extra options for some dumps: what a user would add to ask the question the dump raises.
const std::map<std::string, std::vector<std::string>>& options() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"qemu_tcg_reset_smp2.txt", {"--expect", "reset"}},
      // The host's CPUID signature in EDX, and nothing says which CPU: never a mismatch.
      {"qemu_kvm_reset_smp2.txt", {"--expect", "reset"}},
      {"qemu_i386_reset.txt", {"--expect", "reset"}},
      {"kvm_sregs_gdb_reset.txt", {"--expect", "reset", "--set", "vcpu.bsp=1"}},
      {"kvm_sregs_fields_after_init.txt", {"--expect", "init"}},
      // Real mode read as a VMX entry without unrestricted guest: valid only with it.
      {"qemu_two_dumps_real_mode.txt", {"--flavor", "vmx", "--set", "vmx.unrestricted_guest=0"}},
      {"kvm_vmcs_6x_real_mode_unrestricted.txt", {"-v"}},
      // After a reset, as the threads ask: was it one? Compared as the guest
      // sees it (not with the CR0.NE and CR4.VMXE KVM forces in the VMCS):
      // the stale RIP and GPRs, and the CS.L and CR4 left by nested state.
      {"qemu_devel_system_reset_cpu_host_vmx_5.1rc1.txt", {"--expect", "reset"}},
      {"qemu_kvm_list_jailhouse_l1_reset_xeon_d_0x7.txt", {"--expect", "reset"}},
  };
  return m;
}

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(test::source_dir()) / kDir))
    if (e.is_regular_file() && e.path().extension() != ".md") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string golden_text(const std::vector<std::string>& args, const test::RunResult& r) {
  std::string cmd = "vcpuspec";
  for (const std::string& a : args) cmd += " " + a;
  return "$ " + cmd + "\n" + r.out + (r.err.empty() ? "" : "[stderr]\n" + r.err) + "[exit " + std::to_string(r.exit_code) + "]\n";
}

}  // namespace

TEST_CASE("dumps: the corpus has at least 25 dumps of every format", "[dumps]") {
  auto files = corpus();
  CHECK(files.size() >= 25);
  std::map<std::string, int> formats;
  for (const std::string& f : files) {
    auto r = test::run_cli({"check", "--batch", "--json", kDir + "/" + f});
    INFO(f << "\n" << r.out << r.err);
    REQUIRE(!r.out.empty());
    auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
    REQUIRE(j.contains("format"));
    ++formats[j["format"].get<std::string>()];
  }
  for (const char* f : {"qemu", "kvm-vmcs", "kvm-vmcb", "xen-vmcs", "kvm-sregs"}) {
    INFO(f);
    CHECK(formats[f] >= 3);
  }
}

TEST_CASE("golden: every dump's report", "[golden][dumps]") {
  for (const std::string& f : corpus()) {
    std::vector<std::string> args = {"check", kDir + "/" + f};
    if (auto it = options().find(f); it != options().end()) args.insert(args.end(), it->second.begin(), it->second.end());
    auto r = test::run_cli(args);
    INFO(f << "\n" << r.err);
    // Every dump is readable: the corpus is about reading, not about bad input.
    CHECK(r.exit_code != 3);
    std::string diff;
    CHECK(test::match_golden(test::source_dir() + "/tests/golden/dumps/" + f + ".golden", golden_text(args, r), diff));
    if (!diff.empty()) FAIL_CHECK(diff);
  }
}

TEST_CASE("golden: the corpus as one batch, text and JSON Lines", "[golden][dumps]") {
  auto r = test::run_cli({"check", "--batch", kDir});
  std::string diff;
  CHECK(test::match_golden(test::source_dir() + "/tests/golden/dumps/batch.txt.golden",
                           golden_text({"check", "--batch", kDir}, r), diff));
  if (!diff.empty()) FAIL_CHECK(diff);
  // One JSON object per line and input; each carries its own exit code.
  auto j = test::run_cli({"check", "--batch", "--json", kDir});
  size_t lines = 0;
  std::istringstream in(j.out);
  for (std::string line; std::getline(in, line); ++lines) {
    auto o = nlohmann::json::parse(line);
    CHECK(o["schema"] == "vcpuspec.check/1");
    CHECK(o.contains("exit_code"));
    CHECK(o.contains("checks"));
  }
  CHECK(lines == static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')) - 1);  // minus the total line
  CHECK(j.exit_code == r.exit_code);
}

// A `vcpuspec` run with its peak RSS in KiB, measured by GNU time: the
// child's own getrusage figure would include this test's memory (a
// posix_spawn child's high-water mark starts from its parent's). -1 without
// /usr/bin/time.
long peak_rss_kb(const std::vector<std::string>& args, const std::string& stdin_text, test::RunResult& r) {
  if (!fs::exists("/usr/bin/time")) {
    r = test::run_cli(args, stdin_text);
    return -1;
  }
  std::vector<std::string> timed = {"-f", "peak_rss_kb=%M", VCPUSPEC_BINARY};
  timed.insert(timed.end(), args.begin(), args.end());
  r = test::run_program("/usr/bin/time", timed, stdin_text);
  size_t at = r.err.rfind("peak_rss_kb=");
  if (at == std::string::npos) return -1;
  long kb = std::stol(r.err.substr(at + 12));
  r.err.erase(at);
  // GNU time's own line for an exit code other than 0 (check exits 4 for unknown verdicts).
  if (size_t c = r.err.rfind("Command exited with non-zero status "); c != std::string::npos) r.err.erase(c);
  return kb;
}

// Batch mode streams: one piece of one input in memory at a time, whatever
// the number or size of the inputs (issue 10: under 100 MB over 1 GB;
// scripts/bench.sh measures that). Four files of 16 MiB, or the four as one
// stream, must not need more than one of them plus slack.
TEST_CASE("dumps: check --batch memory does not grow with the number or size of inputs", "[dumps]") {
  const fs::path dir = fs::temp_directory_path() / ("vcpuspec_batch_rss_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string one = test::read_text(test::source_dir() + "/" + kDir + "/qemu_kvm_reset_smp2.txt") + "\n";
  std::string file;
  while (file.size() < (16u << 20)) file += one;
  const size_t per_file = file.size() / one.size() * 2;  // the dump holds two vCPUs
  for (int i = 0; i < 4; ++i) std::ofstream(dir / ("f" + std::to_string(i) + ".txt"), std::ios::binary) << file;
  test::RunResult single, all, stream;
  long single_kb = peak_rss_kb({"check", "--batch", (dir / "f0.txt").string()}, "", single);
  long all_kb = peak_rss_kb({"check", "--batch", dir.string()}, "", all);
  fs::remove_all(dir);
  // The four as one stream on stdin: read in pieces of whole dumps (readers/pieces.hpp).
  long stream_kb = peak_rss_kb({"check", "--batch", "-"}, file + file + file + file, stream);
  REQUIRE(single.err.empty());
  REQUIRE(all.err.empty());
  REQUIRE(stream.err.empty());
  auto lines = [](const std::string& out) { return static_cast<size_t>(std::count(out.begin(), out.end(), '\n')); };
  CHECK(lines(single.out) >= per_file);
  CHECK(lines(all.out) >= 4 * per_file);
  CHECK(lines(stream.out) == lines(all.out));  // the same states, one totals line each
  INFO("peak RSS: one file " << single_kb << " KiB, four files " << all_kb << " KiB, one 64 MiB stream " << stream_kb
                             << " KiB");
#if defined(__SANITIZE_ADDRESS__)
  WARN("built with ASan: its shadow memory makes RSS meaningless; bounds not checked");
#else
  if (single_kb < 0) {
    WARN("no /usr/bin/time (Debian package time): peak RSS not measured");
    return;
  }
  CHECK(all_kb < single_kb + 8 * 1024);
  CHECK(stream_kb < single_kb + 8 * 1024);
  CHECK(stream_kb < 100 * 1000);
#endif
}

// An EDX signature the input does not name is not KVM's 0x600 fallback by
// default: the RESET comparison finds the signature that makes it equal.
TEST_CASE("dumps: --expect qemu.reset on a QEMU dump of an unknown CPU model infers the signature", "[dumps]") {
  auto r = test::run_cli({"check", "--expect", "qemu.reset", kDir + "/qemu_kvm_reset_smp2.txt"});
  CHECK(r.exit_code == 4);  // undecided checks (no MSRs in a QEMU dump), no failure
  CHECK_THAT(r.out, !Catch::Contains("MISMATCH"));
  CHECK_THAT(r.out, Catch::Contains("expect qemu.RESET: equal"));
  CHECK_THAT(r.out, Catch::Contains("inferred cpu.signature = 0xa0671"));
  CHECK_THAT(r.out, !Catch::Contains("defaulted: cpu.signature"));
}

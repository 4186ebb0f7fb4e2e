// vcpuspec render: the DOT text is golden (deterministic, reviewed), and
// libgvc turns it into a valid SVG and PNG.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "support/helpers.hpp"

using namespace vcpuspec;
using test::run_cli;

namespace {

// A PNG's IHDR width and height: big-endian at bytes 16..19 and 20..23.
uint32_t png_be32(const std::string& b, size_t at) {
  if (b.size() < at + 4) return 0;
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) | (uint32_t(uint8_t(b[at + 2])) << 8) |
         uint32_t(uint8_t(b[at + 3]));
}
uint32_t png_width(const std::string& b) { return png_be32(b, 16); }
uint32_t png_height(const std::string& b) { return png_be32(b, 20); }

}  // namespace

TEST_CASE("golden: render DOT", "[golden][render]") {
  struct Golden {
    std::vector<std::string> args;
    const char* file;
  } goldens[] = {
      {{"render", "flow", "kvm_5_15.vcpu_reset_vmx"}, "tests/golden/dot/flow_kvm_5_15_vcpu_reset_vmx.dot"},
      {{"render", "flow", "kvm_5_10.vcpu_reset_svm", "--compare", "kvm_5_15.vcpu_reset_svm"},
       "tests/golden/dot/compare_vcpu_reset_svm.dot"},
      {{"render", "counterexample", "--flow", "kvm_5_10.vcpu_reset_vmx", "--property", "H3.LMA_FROM_OLD_CR0"},
       "tests/golden/dot/counterexample_h3_kvm_5_10_vcpu_reset_vmx.dot"},
      {{"render", "modes"}, "tests/golden/dot/modes.dot"},
  };
  for (const Golden& g : goldens) {
    auto r = run_cli(g.args);
    INFO(g.file << "\n" << r.err);
    CHECK(r.exit_code == 0);
    auto again = run_cli(g.args);
    CHECK(again.out == r.out);
    std::string diff;
    CHECK(test::match_golden(test::source_dir() + "/" + g.file, r.out, diff));
    if (!diff.empty()) FAIL_CHECK(diff);
  }
}

TEST_CASE("render: SVG and PNG through libgvc", "[render]") {
  std::string png = "/tmp/vcpuspec_render_test.png", svg = "/tmp/vcpuspec_render_test.svg";
  auto p = run_cli({"render", "counterexample", "--flow", "kvm_5_10.vcpu_reset_svm", "--property", "H9.DTABLE_BASES",
                    "-o", png});
  CHECK(p.exit_code == 0);
  std::string bytes = test::read_text(png);
  CHECK(bytes.size() > 20000);
  CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  auto s = run_cli({"render", "flow", "kvm_5_10.vcpu_reset_vmx", "--compare", "kvm_5_15.vcpu_reset_vmx", "-o", svg});
  CHECK(s.exit_code == 0);
  std::string text = test::read_text(svg);
  CHECK(text.find("<svg") != std::string::npos);
  CHECK(text.find("</svg>") != std::string::npos);
  CHECK(text.find("reordered") != std::string::npos);
  std::filesystem::remove(png);
  std::filesystem::remove(svg);
  // Nothing to draw for a proved property; usage errors are one line.
  auto proved = run_cli({"render", "counterexample", "--flow", "kvm_5_15.vcpu_reset_vmx", "--property",
                         "H3.LMA_FROM_OLD_CR0"});
  CHECK(proved.exit_code == 0);
  CHECK(proved.out.empty());
  CHECK_THAT(proved.err, Catch::Contains("is proved"));
  // -o x.pdf writes a PDF; an extension naming no format is refused, no file written.
  const std::string pdf = "/tmp/vcpuspec_render_test.pdf", jpg = "/tmp/vcpuspec_render_test.jpg";
  CHECK(run_cli({"render", "modes", "-o", pdf}).exit_code == 0);
  CHECK(test::read_text(pdf).rfind("%PDF-", 0) == 0);
  std::filesystem::remove(pdf);
  auto refused = run_cli({"render", "modes", "-o", jpg});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("its extension names no format"));
  CHECK_FALSE(std::filesystem::exists(jpg));
  for (std::vector<std::string> bad : {std::vector<std::string>{"render", "flow", "nope"},
                                       {"render", "flow", "kvm_5_10.vcpu_reset_vmx", "--format", "gif"},
                                       {"render", "flow", "kvm_5_10.vcpu_reset_vmx", "--format", "png"},
                                       {"render", "counterexample", "--flow", "kvm_5_10.vcpu_reset_vmx"}}) {
    auto r = run_cli(bad);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("render: every kind as a valid PNG of a readable size", "[render]") {
  const std::vector<std::vector<std::string>> kinds = {
      {"render", "flow", "kvm_5_15.vcpu_reset_vmx"},
      {"render", "flow", "kvm_5_10.vcpu_reset_svm", "--compare", "kvm_5_15.vcpu_reset_svm"},
      {"render", "counterexample", "--flow", "kvm_5_10.vcpu_reset_vmx", "--property", "H3.LMA_FROM_OLD_CR0"},
      {"render", "modes"}};
  std::string png = "/tmp/vcpuspec_render_kind.png";
  for (std::vector<std::string> args : kinds) {
    args.insert(args.end(), {"-o", png});
    auto r = run_cli(args);
    INFO(args[1] << " " << args[2] << ": " << r.err);
    CHECK(r.exit_code == 0);
    std::string b = test::read_text(png);
    REQUIRE(b.size() > 24);
    CHECK(b.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(b.substr(12, 4) == "IHDR");
    CHECK(png_width(b) > 300);
    CHECK(png_height(b) > 300);
    CHECK(png_width(b) < 20000);
    CHECK(b.size() > 20000);
    CHECK(b.find("IEND") != std::string::npos);  // complete, not cut off
    std::filesystem::remove(png);
  }
}

TEST_CASE("render modes: PNG and SVG, spec errors, usage", "[render][modes]") {
  std::string png = "/tmp/vcpuspec_render_modes.png", svg = "/tmp/vcpuspec_render_modes.svg";
  auto p = run_cli({"render", "modes", "-o", png});
  INFO(p.err);
  CHECK(p.exit_code == 0);
  std::string bytes = test::read_text(png);
  CHECK(bytes.size() > 100000);
  REQUIRE(bytes.size() > 24);
  CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  // A wide, readable picture.
  CHECK(bytes.substr(12, 4) == "IHDR");
  CHECK(png_width(bytes) > 1500);
  CHECK(png_height(bytes) > 800);
  auto s = run_cli({"render", "modes", "-o", svg});
  CHECK(s.exit_code == 0);
  std::string text = test::read_text(svg);
  CHECK(text.find("</svg>") != std::string::npos);
  // (Graphviz writes '-' as &#45; in SVG text.)
  for (const char* want : {"64&#45;bit mode", "wait&#45;for&#45;SIPI", "ARCH.CR0.PG_LME_PAE", "triple fault", "RSM"}) {
    INFO(want);
    CHECK(text.find(want) != std::string::npos);
  }
  std::filesystem::remove(png);
  std::filesystem::remove(svg);

  // A spec whose modes overlap: every problem on its own line, exit 3, nothing drawn.
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "vcpuspec_modes_spec";
  fs::remove_all(dir);
  fs::copy(test::source_dir() + "/spec", dir, fs::copy_options::recursive);
  {
    std::ofstream(dir / "arch" / "modes.vspec") << "mode M.PAGING \"paging\" cite \"x\" = CR0.PG;\n"
                                                   "mode M.PROT \"protected\" cite \"x\" = CR0.PE;\n";
  }
  auto bad = run_cli({"render", "modes", "--spec", dir.string()});
  CHECK(bad.exit_code == 3);
  CHECK(bad.out.empty());
  CHECK_THAT(bad.err, Catch::Contains("vcpuspec: error: modes: modes M.PAGING and M.PROT overlap: both hold for"));
  CHECK_THAT(bad.err, Catch::Contains("vcpuspec: error: modes: a legal state is in no mode: CR0=0x"));
  size_t errors = 0;
  for (size_t at = bad.err.find("vcpuspec: error:"); at != std::string::npos; at = bad.err.find("vcpuspec: error:", at + 1))
    ++errors;
  CHECK(errors == 2);  // (the spec's own warnings come before them)
  // A mode with a bad predicate is a spec error at its line and column.
  {
    std::ofstream(dir / "arch" / "modes.vspec") << "mode M.X \"x\" cite \"x\" scope arch = CR0.NOPE;\n";
  }
  auto sema = run_cli({"render", "modes", "--spec", dir.string()});
  CHECK(sema.exit_code == 3);
  CHECK_THAT(sema.err, Catch::Contains("modes.vspec:1:"));
  CHECK_THAT(sema.err, Catch::Contains("cannot have `scope`"));
  fs::remove_all(dir);
  auto usage = run_cli({"render", "modes", "kvm_5_10.vcpu_reset_vmx"});
  CHECK(usage.exit_code == 2);
  CHECK(std::count(usage.err.begin(), usage.err.end(), '\n') == 1);
}

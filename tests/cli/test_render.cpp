// vcpuspec render: the DOT text is golden (deterministic, reviewed), and
// libgvc turns it into a valid SVG and PNG.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/helpers.hpp"

using namespace vcpuspec;
using test::run_cli;

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
  for (std::vector<std::string> bad : {std::vector<std::string>{"render", "flow", "nope"},
                                       {"render", "flow", "kvm_5_10.vcpu_reset_vmx", "--format", "gif"},
                                       {"render", "flow", "kvm_5_10.vcpu_reset_vmx", "--format", "png"},
                                       {"render", "counterexample", "--flow", "kvm_5_10.vcpu_reset_vmx"}}) {
    auto r = run_cli(bad);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

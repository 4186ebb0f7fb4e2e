// Batch mode's large inputs: a QEMU log read in pieces of whole dumps gives
// exactly the states, names, origins and notes that reading it whole gives,
// and a log no piece can be cut from is read whole.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "readers/pieces.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

std::vector<readers::StateInput> whole(const std::string& text) {
  auto r = readers::read_any(text, "big.txt", "auto", test::slots(), {});
  REQUIRE(std::holds_alternative<readers::Inputs>(r));
  return std::get<readers::Inputs>(std::move(r));
}

std::vector<readers::StateInput> in_pieces(const std::string& text) {
  std::istringstream in(text);
  std::vector<readers::StateInput> out;
  auto e = readers::read_pieces(in, "big.txt", "auto", test::slots(), {}, [&](readers::StateInput& s) { out.push_back(s); });
  if (e) FAIL(e->format());
  return out;
}

void same(const readers::StateInput& a, const readers::StateInput& b) {
  CHECK(a.part == b.part);
  CHECK(a.flavor == b.flavor);
  CHECK(a.format_detected == b.format_detected);
  CHECK(a.origin == b.origin);
  for (size_t i = 0; i < test::slots().size(); ++i) {
    REQUIRE(a.state.has(i) == b.state.has(i));
    if (a.state.has(i)) REQUIRE(a.state.get(i) == b.state.get(i));
  }
  REQUIRE(a.notes.size() == b.notes.size());
  for (size_t i = 0; i < a.notes.size(); ++i) {
    CHECK(a.notes[i].line == b.notes[i].line);
    CHECK(a.notes[i].text == b.notes[i].text);
  }
}

}  // namespace

TEST_CASE("pieces: a QEMU log larger than a piece reads as it reads whole", "[pieces]") {
  // Dumps with headers that lead into them, two vCPUs under one header,
  // CPU# blocks, log lines between: every place a cut could go wrong.
  std::string unit;
  for (const char* f : {"qemu_kvm_reset_smp2.txt", "qemu_two_dumps_real_mode.txt", "qemu_svm_vmrun_failed.txt",
                        "qemu_journal_interleaved.txt", "qemu_entry_failed_bigreal_truncated.txt", "qemu_i386_reset.txt"})
    unit += test::read_text(test::source_dir() + "/tests/data/dumps/" + f) + "\nsome log line between the dumps\n";
  std::string text;
  while (text.size() < 2 * readers::kPieceBytes + readers::kPieceBytes / 2) text += unit;
  std::vector<readers::StateInput> a = whole(text), b = in_pieces(text);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 1000);
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("state " << i << " of " << a.size() << ": " << a[i].name());
    same(a[i], b[i]);
  }
  // Line numbers count on across pieces: the last state's notes name the file's lines.
  CHECK(b.back().part == a.back().part);
}

TEST_CASE("pieces: a small input, and a format that is not cut, are read whole", "[pieces]") {
  const std::string small = test::read_text(test::source_dir() + "/tests/data/dumps/qemu_kvm_reset_smp2.txt");
  std::vector<readers::StateInput> a = whole(small), b = in_pieces(small);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  same(a[0], b[0]);
  same(a[1], b[1]);
  // A VMCS log larger than a piece: read whole, one state per splat.
  const std::string vmcs = test::read_text(test::source_dir() + "/tests/data/dumps/kvm_vmcs_5_10_long_mode_full.txt") + "\n";
  std::string big;
  while (big.size() <= readers::kPieceBytes) big += vmcs;
  std::vector<readers::StateInput> va = whole(big), vb = in_pieces(big);
  REQUIRE(va.size() == vb.size());
  for (size_t i = 0; i < va.size(); ++i) same(va[i], vb[i]);
}

TEST_CASE("pieces: an unreadable or dump-free input is one error", "[pieces]") {
  std::string noise(readers::kPieceBytes + 100, 'x');
  std::istringstream in(noise);
  size_t n = 0;
  auto e = readers::read_pieces(in, "noise.txt", "qemu", test::slots(), {}, [&](readers::StateInput&) { ++n; });
  REQUIRE(e);
  CHECK(n == 0);
  CHECK(e->format().rfind("noise.txt:", 0) == 0);
}

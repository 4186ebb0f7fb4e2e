#include <catch2/catch.hpp>

#include "checker.gen.hpp"
#include "readers/state_json.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;

namespace {

long slot(const char* name) { return readers::find_slot(test::slots(), name); }

readers::ReadError bad(const std::string& text) {
  auto r = readers::read_state_json(text, "x.json", test::slots());
  REQUIRE(std::holds_alternative<readers::ReadError>(r));
  return std::get<readers::ReadError>(r);
}

}  // namespace

TEST_CASE("state JSON: values, segments, cpu features, defaults", "[reader]") {
  auto r = readers::read_state_json(R"({"schema": "vcpuspec.state/1", "flavor": "arch",
      "cpu": {"maxphyaddr": 39, "features": ["la57"]},
      "state": {"CR0": "0x60000010", "RIP": 65520, "CS": {"sel": "0xf000", "ar": "0b1001_1011"}}})",
                                    "x.json", test::slots());
  REQUIRE(std::holds_alternative<readers::StateInput>(r));
  const readers::StateInput& in = std::get<readers::StateInput>(r);
  CHECK(in.state.get(slot("CR0")) == 0x60000010);
  CHECK(in.state.get(slot("RIP")) == 0xFFF0);
  CHECK(in.state.get(slot("CS.sel")) == 0xF000);
  CHECK(in.state.get(slot("CS.ar")) == 0x9B);
  CHECK_FALSE(in.state.has(slot("CS.base")));
  CHECK(in.state.get(slot("cpu.maxphyaddr")) == 39);
  CHECK(in.state.get(slot("cpu.la57")) == 1);
  // The features list is complete: the others are known to be absent.
  CHECK(in.state.has(slot("cpu.pcid")));
  CHECK(in.state.get(slot("cpu.pcid")) == 0);
  // Defaults fill what the input left out, and say so: only values that are
  // the same on every processor have one.
  CHECK(in.state.get(slot("vmx.cr4_fixed0")) == 0x2000);
  CHECK(in.origin[slot("vmx.cr4_fixed0")] == readers::Origin::Defaulted);
  // No default: stays missing. The signature varies by CPU: never assumed.
  CHECK_FALSE(in.state.has(slot("vcpu.bsp")));
  CHECK_FALSE(in.state.has(slot("cpu.signature")));
}

TEST_CASE("state JSON: every bad input is one positioned error", "[reader]") {
  struct Case {
    const char* text;
    uint32_t line, col;
    const char* message;
  } cases[] = {
      {"[1]", 1, 1, "expected a JSON object"},
      {R"({"schema": "other/1"})", 1, 12, "unsupported schema"},
      {R"({"bogus": 1})", 1, 2, "unknown top-level field"},
      {R"({"state": {"CR9": "0x0"}})", 1, 12, "unknown state field \"CR9\""},
      {R"({"state": {"CR0": "0x1", "CR0": "0x2"}})", 1, 26, "duplicate field"},
      {R"({"state": {"CR0": [1]}})", 1, 19, "must be a number"},
      {R"({"state": {"CR0": "0x1_0000_0000_0000_0000"}})", 1, 19, "not a non-negative integer"},
      {R"({"state": {"CR0": "-1"}})", 1, 19, "not a non-negative integer"},
      {R"({"state": {"CR0": 1.5}})", 1, 19, "not a non-negative integer"},
      {R"({"state": {"CS": {"sel": "0x10000"}}})", 1, 26, "does not fit in 16-bit CS.sel"},
      {R"({"state": {"CS": {"selector": "0x0"}}})", 1, 19, "unknown field \"selector\" of CS"},
      {R"({"state": {"CR0": true}})", 1, 19, "not a boolean"},
      {R"({"cpu": {"maxphyaddr": 99}})", 1, 24, "outside 32..52"},
      {R"({"cpu": {"features": ["warp_drive"]}})", 1, 23, "unknown CPU feature"},
      {R"({"cpu": {"vendor": "via"}})", 1, 20, "must be \"intel\" or \"amd\""},
      {R"({"config": {"vmx.bogus": 1}})", 1, 13, "unknown configuration"},
      {R"({"flavor": "arm"})", 1, 12, "\"flavor\" must be"},
      {R"({"state": {"CR0": "0x1", "CR0.PG": 1}})", 1, 26, "unknown state field"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    readers::ReadError e = bad(c.text);
    CHECK(e.line == c.line);
    CHECK(e.col == c.col);
    CHECK_THAT(e.message, Catch::Contains(c.message));
    CHECK(e.format().rfind("x.json:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": error: ", 0) == 0);
  }
}

TEST_CASE("parse_u64 accepts hex, decimal and binary with separators", "[reader]") {
  uint64_t v = 0;
  CHECK(readers::parse_u64("0xFFFF_0000", v));
  CHECK(v == 0xFFFF0000);
  CHECK(readers::parse_u64("18446744073709551615", v));
  CHECK(v == ~0ULL);
  CHECK_FALSE(readers::parse_u64("18446744073709551616", v));
  CHECK(readers::parse_u64("0b101", v));
  CHECK(v == 5);
  CHECK_FALSE(readers::parse_u64("0x", v));
  CHECK_FALSE(readers::parse_u64("12a", v));
  CHECK_FALSE(readers::parse_u64("_1", v));
}

#include <catch2/catch.hpp>

#include "readers/json.hpp"

using namespace vcpuspec;

TEST_CASE("json: values, positions and escapes", "[json]") {
  json::Error err;
  auto v = json::parse("{\n  \"a\": [1, true, null],\n  \"b\": \"x\\u00e9\\n\"\n}", err);
  REQUIRE(v);
  REQUIRE(v->kind == json::Value::Kind::Object);
  const json::Value* a = v->find("a");
  REQUIRE(a);
  CHECK(a->line == 2);
  CHECK(a->col == 8);
  CHECK(a->key_line == 2);
  CHECK(a->key_col == 3);
  REQUIRE(a->items.size() == 3);
  CHECK(a->items[0].text == "1");
  CHECK(a->items[1].boolean);
  CHECK(v->find("b")->text == "x\xC3\xA9\n");
}

TEST_CASE("json: errors name the line and column", "[json]") {
  struct Case {
    const char* text;
    uint32_t line, col;
    const char* message;
  } cases[] = {
      {"", 1, 1, "empty input"},
      {"{\"a\": 1,}", 1, 9, "expected a quoted key"},
      {"{\"a\": 1", 1, 8, "unexpected end of input"},
      {"{\"a\" 1}", 1, 6, "expected ':'"},
      {"[1 2]", 1, 4, "expected ',' or ']'"},
      {"{\"a\": 01}", 1, 7, "leading zero"},
      {"{\"a\": \"\x01\"}", 1, 8, "control character"},
      {"{\"a\": tru}", 1, 7, "expected a JSON value"},
      {"{} x", 1, 4, "after the end"},
      {"\"\\ud800\"", 1, 8, "surrogate"},
      {"{\"a\": \"\xff\"}", 1, 8, "invalid UTF-8"},
  };
  for (const Case& c : cases) {
    json::Error err;
    INFO(c.text);
    CHECK_FALSE(json::parse(c.text, err));
    CHECK(err.line == c.line);
    CHECK(err.col == c.col);
    CHECK_THAT(err.message, Catch::Contains(c.message));
  }
}

TEST_CASE("json: nesting is bounded", "[json]") {
  std::string deep(100000, '[');
  json::Error err;
  CHECK_FALSE(json::parse(deep, err));
  CHECK_THAT(err.message, Catch::Contains("nested deeper"));
}

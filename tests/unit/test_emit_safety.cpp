// Generated-code safety: text from the spec (descriptions, citations, notes,
// file names) only ever lands in C++ string literals and comments, escaped.
// A hostile spec compiles into a checker whose strings read back exactly.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "emit/emit_cpp.hpp"
#include "front/load.hpp"
#include "support/helpers.hpp"

using namespace vcpuspec;
namespace fs = std::filesystem;

TEST_CASE("emit: hostile descriptions, citations and file names cannot escape their literals", "[emit]") {
  // Every trick: closing quotes and comments, backslash-newline, trigraphs,
  // a preprocessor line, NUL-free control characters, non-ASCII.
  // (VSpec source text: \" is a quote, \\ a backslash, \n a newline.)
  const std::string evil =
      R"(x\"; } int evil() { return 1; } const char* y = \" */ /* ??/ ??= \\ back \" quote \n#include <cstdlib>\n)"
      R"( std::abort(); // \t tab cafÃ© end)";
  std::string spec =
      "register CR0 : 64 \"" + evil + "\" { PG 31 \"" + evil + "\"; }\n"
      "check EVIL.ONE \"" + evil + "\" cite \"" + evil + "\" scope arch note \"" + evil + "\" assert CR0.PG -> CR0.PG;\n";
  std::string path = "evil\"\n#error no */.vspec";
  auto loaded = front::load_spec_sources({SourceFile{path, spec}});
  REQUIRE(loaded->model);
  const ir::Check& chk = loaded->model->checks.at(0);
  REQUIRE(chk.text.find("#include") != std::string::npos);  // the escapes made it into the model

  emit::GeneratedChecker g = emit::emit_checker(*loaded->model, {SourceFile{path, spec}}, "vcpuspec::hostile");
  fs::path dir = fs::temp_directory_path() / "vcpuspec_emit_safety";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "checker.gen.hpp") << g.header;
  std::ofstream(dir / "checker.gen.cpp") << g.source;
  std::ofstream(dir / "spec_sources.gen.cpp") << g.specs;
  std::ofstream(dir / "checks.gen.hpp") << g.decls;
  std::string units;
  for (const auto& [name, text] : g.units) {
    // Unit names are identifiers whatever the spec file is called.
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == std::string::npos);
    std::ofstream(dir / name) << text;
    units += " " + (dir / name).string();
  }
  REQUIRE(g.units.size() == 2);  // checks_ and explain_ of the one file
  std::ofstream(dir / "main.cpp") << R"(#include <cstdio>
#include "checker.gen.hpp"
int main() {
  const auto& c = vcpuspec::hostile::kChecks[0];
  std::fputs(c.text, stdout); std::fputs("\n--\n", stdout);
  std::fputs(c.cite, stdout); std::fputs("\n--\n", stdout);
  std::fputs(c.note, stdout); std::fputs("\n--\n", stdout);
  return c.eval(vcpuspec::rt::State(vcpuspec::hostile::kNumSlots)) == vcpuspec::rt::Verdict::Unknown ? 0 : 3;
}
)";
  std::string cmd = std::string(VCPUSPEC_CXX) + " -std=c++20 -w -I" + test::source_dir() + "/checker -I" +
                    dir.string() + " " + (dir / "main.cpp").string() + " " + (dir / "checker.gen.cpp").string() +
                    " " + (dir / "spec_sources.gen.cpp").string() + units + " -o " + (dir / "prog").string() + " 2>&1";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto r = test::run_program((dir / "prog").string(), {});
  CHECK(r.exit_code == 0);
  CHECK(r.out == chk.text + "\n--\n" + chk.cite + "\n--\n" + chk.note + "\n--\n");
  fs::remove_all(dir);
}

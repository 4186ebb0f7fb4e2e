// vcpuspec-gen: runs at build time. Reads the spec, reports its errors like
// the CLI does (exit 3), and writes the generated checker into the build
// tree. Files are rewritten only when their bytes change, so an unchanged
// spec causes no recompilation.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "emit/emit_cpp.hpp"
#include "front/load.hpp"

namespace fs = std::filesystem;
using namespace vcpuspec;

namespace {

int usage() {
  std::cerr << "usage: vcpuspec-gen --out DIR --root DIR [--namespace NS] SPEC...\n"
               "  Writes DIR/checker.gen.hpp, DIR/checker.gen.cpp, DIR/spec_sources.gen.cpp,\n"
               "  DIR/checks.gen.hpp and one DIR/checks_<dir>_<file>.gen.cpp per spec file.\n"
               "  Paths in the output are relative to --root.\n";
  return 2;
}

bool write_if_changed(const fs::path& path, const std::string& text) {
  std::string old, err;
  if (read_file(path.string(), old, err) && old == text) return true;
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, root, ns = "vcpuspec::generated";
  std::vector<std::string> specs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out_dir = argv[++i];
    else if (a == "--root" && i + 1 < argc) root = argv[++i];
    else if (a == "--namespace" && i + 1 < argc) ns = argv[++i];
    else if (a.rfind("--", 0) == 0) return usage();
    else specs.push_back(a);
  }
  if (out_dir.empty() || root.empty() || specs.empty() || !emit::valid_namespace(ns)) return usage();

  // Expand directories and make every path relative to the root, so the
  // output does not depend on where the checkout lives.
  std::vector<std::string> files;
  for (const std::string& s : specs) {
    if (fs::is_directory(s)) {
      auto found = front::find_spec_files(s);
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(s);
    }
  }
  std::vector<SourceFile> sources;
  for (const std::string& f : files) {
    std::string text, err;
    std::string rel = fs::relative(fs::absolute(f), fs::absolute(root)).generic_string();
    if (!read_file(f, text, err)) {
      std::cerr << rel << ": error: cannot read spec file: " << err << "\n";
      return 3;
    }
    sources.push_back(SourceFile{rel, std::move(text)});
  }
  std::sort(sources.begin(), sources.end(), [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });

  auto spec = front::load_spec_sources(sources);
  std::cerr << render_all(spec->sources, spec->diags);
  if (!spec->model) return 3;

  emit::GeneratedChecker gen = emit::emit_checker(*spec->model, sources, ns);
  fs::create_directories(out_dir);
  bool ok = write_if_changed(fs::path(out_dir) / "checker.gen.hpp", gen.header) &&
            write_if_changed(fs::path(out_dir) / "checker.gen.cpp", gen.source) &&
            write_if_changed(fs::path(out_dir) / "spec_sources.gen.cpp", gen.specs) &&
            write_if_changed(fs::path(out_dir) / "checks.gen.hpp", gen.decls);
  for (const auto& [name, text] : gen.units) ok = ok && write_if_changed(fs::path(out_dir) / name, text);
  if (!ok) {
    std::cerr << out_dir << ": error: cannot write the generated checker\n";
    return 1;
  }
  return 0;
}

#include "cli/spec_source.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include "builtin/builtin_spec.hpp"
#include "checker.gen.hpp"
#include "cli/exit_codes.hpp"
#include "readers/pieces.hpp"
#include "support/diagnostics.hpp"

namespace vcpuspec::cli {

bool write_output(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text;
    return true;
  }
  std::ofstream f(path, std::ios::binary);
  if (!(f << text) || !f.flush()) {
    std::cerr << "vcpuspec: error: " << path << ": cannot write\n";
    return false;
  }
  return true;
}

std::unique_ptr<front::LoadedSpec> load_spec(const std::vector<std::string>& paths, int& exit, bool warnings) {
  std::unique_ptr<front::LoadedSpec> spec;
  if (paths.empty()) {
    spec = front::load_spec_sources(builtin::spec_files());
  } else {
    spec = front::load_spec_paths(paths);
  }
  // The built-in spec's warnings are the spec authors' business: vcpuspec-gen
  // prints them at build time. A user's spec files get every diagnostic,
  // unless the caller reports the warnings of a spec that loaded itself.
  if (!paths.empty() && (warnings || !spec->model)) {
    std::cerr << render_all(spec->sources, spec->diags);
  } else {
    for (const Diagnostic& d : spec->diags.sorted())
      if (d.severity == Severity::Error) std::cerr << render(spec->sources, d);
  }
  if (!spec->model) {
    exit = kBadInput;
    return nullptr;
  }
  return spec;
}

std::string spec_name(const std::vector<std::string>& paths) {
  if (paths.empty()) return std::string("the built-in spec (digest ") + generated::kSpecDigest + ")";
  std::string s;
  for (const std::string& p : paths) s += (s.empty() ? "" : ", ") + p;
  return s;
}

bool read_input(const std::string& path, std::string& out, std::string& error) {
  constexpr size_t kMax = readers::kMaxWhole;
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (out.size() > kMax) {
      error = "input larger than 256 MiB";
      return false;
    }
    return true;
  }
  if (!read_file(path, out, error)) return false;
  if (out.size() > kMax) {
    error = "input larger than 256 MiB";
    return false;
  }
  return true;
}

}  // namespace vcpuspec::cli

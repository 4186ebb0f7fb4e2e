#include "builtin/builtin_spec.hpp"

#include <memory>
#include <stdexcept>

#include "checker.gen.hpp"

namespace vcpuspec::builtin {

std::vector<SourceFile> spec_files() {
  std::vector<SourceFile> files;
  for (size_t i = 0; i < generated::kNumSpecFiles; ++i)
    files.push_back(SourceFile{generated::kSpecFiles[i].path, generated::kSpecFiles[i].text});
  return files;
}

const front::LoadedSpec& spec() {
  static const std::unique_ptr<front::LoadedSpec> loaded = [] {
    auto s = front::load_spec_sources(spec_files());
    if (!s->model) throw std::runtime_error("the built-in spec does not load");
    return s;
  }();
  return *loaded;
}

}  // namespace vcpuspec::builtin

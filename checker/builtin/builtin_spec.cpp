#include "builtin/builtin_spec.hpp"

#include "checker.gen.hpp"

namespace vcpuspec::builtin {

std::vector<SourceFile> spec_files() {
  std::vector<SourceFile> files;
  for (size_t i = 0; i < generated::kNumSpecFiles; ++i)
    files.push_back(SourceFile{generated::kSpecFiles[i].path, generated::kSpecFiles[i].text});
  return files;
}

}  // namespace vcpuspec::builtin

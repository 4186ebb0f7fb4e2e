#include "differential/tables.hpp"

#include <stdexcept>

#include "checker.gen.hpp"
#include "ops/checker.gen.hpp"
#include "support/helpers.hpp"

namespace vcpuspec::test {

namespace {

template <class Files>
std::unique_ptr<front::LoadedSpec> load(const Files* files, size_t n) {
  std::vector<SourceFile> src;
  for (size_t i = 0; i < n; ++i) src.push_back(SourceFile{files[i].path, files[i].text});
  auto spec = front::load_spec_sources(src);
  if (!spec->model) throw std::runtime_error("embedded spec does not load");
  return spec;
}

}  // namespace

Tables x86_tables() {
  return Tables{std::span(generated::kSlots, generated::kNumSlots), std::span(generated::kChecks, generated::kNumChecks),
                std::span(generated::kStates, generated::kNumStates), builtin_spec().model.get()};
}

Tables ops_tables() {
  static std::unique_ptr<front::LoadedSpec> spec = load(generated_ops::kSpecFiles, generated_ops::kNumSpecFiles);
  return Tables{std::span(generated_ops::kSlots, generated_ops::kNumSlots),
                std::span(generated_ops::kChecks, generated_ops::kNumChecks),
                std::span(generated_ops::kStates, generated_ops::kNumStates), spec->model.get()};
}

}  // namespace vcpuspec::test

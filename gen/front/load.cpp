#include "front/load.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "front/parse.hpp"
#include "sema/sema.hpp"

namespace vcpuspec::front {

namespace fs = std::filesystem;

std::vector<std::string> find_spec_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".vspec") out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::unique_ptr<LoadedSpec> finish(std::unique_ptr<LoadedSpec> spec, const std::vector<uint32_t>& ids) {
  std::vector<ast::SpecFile> files;
  for (uint32_t id : ids) files.push_back(parse_file(spec->sources, id, spec->diags));
  // Sema on a tree with syntax errors would mostly repeat them; stop here.
  if (spec->diags.has_errors()) return spec;
  spec->model = sema::analyze(files, spec->diags);
  return spec;
}

}  // namespace

std::unique_ptr<LoadedSpec> load_spec_paths(const std::vector<std::string>& paths) {
  auto spec = std::make_unique<LoadedSpec>();
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      auto found = find_spec_files(p);
      if (found.empty()) {
        uint32_t id = spec->sources.add(p, "");
        spec->diags.error(Loc{id, 0, 0}, "no .vspec files in this directory");
      }
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<uint32_t> ids;
  for (const std::string& f : files) {
    std::string text, err;
    if (!read_file(f, text, err)) {
      uint32_t id = spec->sources.add(f, "");
      spec->diags.error(Loc{id, 0, 0}, "cannot read spec file: " + err);
      continue;
    }
    ids.push_back(spec->sources.add(f, std::move(text)));
  }
  if (spec->diags.has_errors()) return spec;
  return finish(std::move(spec), ids);
}

std::unique_ptr<LoadedSpec> load_spec_sources(const std::vector<SourceFile>& files) {
  auto spec = std::make_unique<LoadedSpec>();
  std::vector<uint32_t> ids;
  for (const SourceFile& f : files) ids.push_back(spec->sources.add(f.path, f.text));
  return finish(std::move(spec), ids);
}

}  // namespace vcpuspec::front

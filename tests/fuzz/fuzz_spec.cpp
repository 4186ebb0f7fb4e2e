// Fuzz target: the spec front end (ANTLR parser, sema) on arbitrary bytes,
// after the real architectural spec so that mutations reach deep into sema.
// It must never crash, and never reject a spec without saying why.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "front/load.hpp"
#include "support/diagnostics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vcpuspec;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = front::load_spec_sources({SourceFile{"fuzz.vspec", text}});
  if (!spec->model && !spec->diags.has_errors()) std::abort();  // rejected without an error
  std::string shown = render_all(spec->sources, spec->diags);
  if (spec->diags.has_errors() && shown.rfind("fuzz.vspec", 0) != 0) std::abort();  // an error with no position
  return 0;
}

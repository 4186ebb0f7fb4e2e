// The test runner: Catch2 plus `--update`, which makes golden tests rewrite
// their expected files instead of comparing.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/helpers.hpp"

int main(int argc, char* argv[]) {
  Catch::Session session;
  bool update = false;
  using namespace Catch::clara;
  auto cli = session.cli() | Opt(update)["--update"]("rewrite golden files instead of comparing");
  session.cli(cli);
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  vcpuspec::test::set_update_goldens(update);
  return session.run();
}

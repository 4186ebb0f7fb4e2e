// Fuzz target: the QEMU `info registers` reader (read as each flavor) and the checker behind it (fuzz_reader.hpp).
#include "fuzz_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vcpuspec::fuzz::read_dump(data, size, "qemu", "any");
}

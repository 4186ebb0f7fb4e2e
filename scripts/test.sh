#!/bin/sh
# Installs dependencies, builds vcpuspec from scratch in build/, and runs
# every test. Exits non-zero when any test fails.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja
cmake --build build -j2
ctest --test-dir build -j2 --output-on-failure

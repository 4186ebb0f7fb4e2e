#!/bin/sh
# Installs vcpuspec's build and test dependencies from Debian packages.
# Idempotent: packages already present are left alone; nothing is downloaded
# from anywhere but the configured Debian mirrors.
set -eu

PKGS="cmake ninja-build g++ pkg-config
antlr4 default-jre-headless libantlr4-runtime-dev
libz3-dev catch2 graphviz libgraphviz-dev
nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev
clang libclang-rt-14-dev
qemu-system-x86 python3 time"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing$missing"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing

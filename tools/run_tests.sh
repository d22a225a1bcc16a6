#!/usr/bin/env bash
# The whole test suite: set up, build, then every CTest label (unit, gpu, slow; the gpu tests
# skip with a printed reason where no device is visible).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"

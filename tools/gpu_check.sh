#!/usr/bin/env bash
# The whole GPU check in one device call (under 8 minutes): build the engine for sm_90 from the
# carried sources, run the gpu tests (CUDA vs CPU, float64) and the tile-math tests, then
# gpu_bench (both CUDA paths vs LibTorch on CUDA vs the CPU engine, peak device memory, device
# GEMM rate and bandwidth, the fused kernel alone on W-NN shapes against the DGEMM rate), then the GPyTorch peer (bench/gpytorch_peer.py) on the W-GP problem,
# writing logs, results.md/results.csv and gpytorch_peer.md to $OUT.
#
#   here, once:     bash tools/gpu_check.sh --vendor      (copies headers and GoogleTest into .gpudeps/)
#   here, dry run:  bash tools/gpu_check.sh --dry-run     (same build and runs; the GPU parts skip;
#                   PEER_PYTHON=<a python with gpytorch> runs the peer on the CPU)
#   on the device:  run tool, carry [".gpudeps"], command "bash tools/gpu_check.sh", timeout 480
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$(pwd)/gpu_check_out}
mkdir -p "$OUT"

if [ "${1:-}" = "--vendor" ]; then
  rm -rf .gpudeps && mkdir -p .gpudeps/include
  cp -r /usr/include/eigen3/Eigen /usr/include/eigen3/unsupported .gpudeps/include/
  cp -r /usr/include/spdlog /usr/include/fmt .gpudeps/include/
  cp -r /usr/src/googletest .gpudeps/googletest
  grep -qx '/.gpudeps/' .git/info/exclude 2>/dev/null || echo '/.gpudeps/' >> .git/info/exclude
  du -sh .gpudeps
  exit 0
fi
[ -d .gpudeps ] || { echo "no .gpudeps: run 'bash tools/gpu_check.sh --vendor' here first" >&2; exit 2; }

{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "no nvidia-smi"
  nvcc --version | tail -1
} > "$OUT/device.txt" 2>&1

TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
BUILD=${BUILD:-/tmp/amf_gpu_build}
# The engine alone from the main CMake (AMF_ENGINE_ONLY: no HDF5, TOML, MuJoCo, CLI or Python),
# with the carried header-only libraries and GoogleTest.
cmake -S . -B "$BUILD" -G Ninja -DAMF_ENGINE_ONLY=ON -DAMF_VENDOR_DIR="$(pwd)/.gpudeps" \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" > "$OUT/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$(nproc)" >> "$OUT/build.log" 2>&1
build_rc=$?
echo "build rc=$build_rc" | tee -a "$OUT/build.log"
[ $build_rc -eq 0 ] || { tail -40 "$OUT/build.log"; exit 1; }

(cd "$BUILD/tests/engine_only" && ctest --output-on-failure -j 4 --timeout 300) > "$OUT/tests.log" 2>&1
test_rc=$?
tail -15 "$OUT/tests.log"
"$BUILD/tests/engine_only/gpu_bench" "$OUT" 2> "$OUT/bench.log"
bench_rc=$?

# The GPyTorch peer on the W-GP problem gpu_bench exported (the dry run's W-GP-scaled here).
PEER_PYTHON=${PEER_PYTHON:-python3}
peer_rc=0
if "$PEER_PYTHON" -c 'import gpytorch, torch' 2>/dev/null; then
  "$PEER_PYTHON" bench/gpytorch_peer.py "$OUT/gp_peer" > "$OUT/gpytorch_peer.md" 2> "$OUT/gpytorch_peer.log"
  peer_rc=$?
  cat "$OUT/gpytorch_peer.md"
else
  echo "GPyTorch peer skipped: $PEER_PYTHON cannot import gpytorch and torch" | tee "$OUT/gpytorch_peer.md"
fi
echo "tests rc=$test_rc bench rc=$bench_rc peer rc=$peer_rc"
[ $test_rc -eq 0 ] && [ $bench_rc -eq 0 ] && [ $peer_rc -eq 0 ]

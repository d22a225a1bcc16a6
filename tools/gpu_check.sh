#!/usr/bin/env bash
# The whole GPU check in one device call (under 8 minutes): build the engine for sm_90 from the
# carried sources, run the gpu tests (CUDA vs CPU, float64) and the tile-math tests, then
# gpu_bench (CUDA engine vs LibTorch on CUDA vs the CPU engine, device GEMM rate and bandwidth),
# writing logs and results.md/results.csv to $OUT.
#
#   here, once:     bash tools/gpu_check.sh --vendor      (copies headers and GoogleTest into .gpudeps/)
#   here, dry run:  bash tools/gpu_check.sh --dry-run     (same build and runs; the GPU parts skip)
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
cmake -S tools/gpu_check -B "$BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" > "$OUT/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$(nproc)" >> "$OUT/build.log" 2>&1
build_rc=$?
echo "build rc=$build_rc" | tee -a "$OUT/build.log"
[ $build_rc -eq 0 ] || { tail -40 "$OUT/build.log"; exit 1; }

(cd "$BUILD" && ctest --output-on-failure -j 4 --timeout 300) > "$OUT/tests.log" 2>&1
test_rc=$?
tail -15 "$OUT/tests.log"
"$BUILD/gpu_bench" "$OUT" 2> "$OUT/bench.log"
bench_rc=$?
echo "tests rc=$test_rc bench rc=$bench_rc"
[ $test_rc -eq 0 ] && [ $bench_rc -eq 0 ]

#!/usr/bin/env bash
# The whole GPU check in one device call. Stages, each under its own timeout within one budget
# (GPU_CHECK_BUDGET_S, default 420 s), results packed into $OUT as soon as each ends
# (tools/gpu_check_stages.sh: at most 8 files, summary.md first):
#   configure   the main CMake's engine-only configuration (AMF_ENGINE_ONLY) with the carried
#               headers; with the interpreter's LibTorch when it configures, else without it
#               (the summary says which)
#   build       for sm_90; if it fails with LibTorch, again without it
#   tests       the engine's CPU and gpu tests (CUDA vs the float64 CPU engine)
#   bench-gp    gpu_bench --part gp: FP64 DGEMM and copy rates on random data, AMF-GP workloads
#               on both CUDA paths vs LibTorch on CUDA vs the CPU engine, peak device memory
#   bench-wnn-reduced  gpu_bench --part nn at N 1000: the fused kernel alone (CUDA events) and
#               W-NN end to end
#   gpytorch-peer      bench/gpytorch_peer.py on the W-GP problem bench-gp exported
#   bench-wnn-full     W-NN at N 10000, only with a device and with whatever time is left
#
#   here, dry run:  bash tools/gpu_check.sh --dry-run   (vendors .gpudeps first when it is missing;
#                   the GPU parts skip; PEER_PYTHON=<python with gpytorch> runs the peer on the CPU)
#   on the device:  bash tools/gpu_check.sh --vendor here once (or any dry run), then the run
#                   tool with carry [".gpudeps"], command "bash tools/gpu_check.sh", timeout_s 480
#   vendoring only: bash tools/gpu_check.sh --vendor    (headers and GoogleTest into .gpudeps/)
# Environment: OUT (default ./gpu_check_out), GPU_CHECK_BUDGET_S, GPU_CHECK_CAP_SCALE (stage
# timeouts and the default budget are the device's times this; 3 in a dry run, for 2 cores), BUILD
# (default a fresh directory under /tmp), GPU_CHECK_KEEP=1 keeps the build and work directories.
# Exit status 0 when every stage that ran was ok.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. tools/gpu_check_stages.sh

vendor() {
  rm -rf .gpudeps && mkdir -p .gpudeps/include || return 1
  cp -r /usr/include/eigen3/Eigen /usr/include/eigen3/unsupported .gpudeps/include/ &&
    cp -r /usr/include/spdlog /usr/include/fmt .gpudeps/include/ &&
    cp -r /usr/src/googletest .gpudeps/googletest || return 1
  # An ignored path: the device tool carries it only when named in carry.
  local exclude
  exclude=$(git rev-parse --git-path info/exclude)
  grep -qx '/.gpudeps/' "$exclude" 2>/dev/null || echo '/.gpudeps/' >> "$exclude"
  du -sh .gpudeps
}

mode=device
case "${1:-}" in
  --vendor) vendor; exit $? ;;
  --dry-run) mode=dry-run ;;
  "") ;;
  *) echo "usage: bash tools/gpu_check.sh [--vendor | --dry-run]" >&2; exit 2 ;;
esac
if [ ! -d .gpudeps ]; then
  if [ -d /usr/include/eigen3 ] && [ -d /usr/include/spdlog ] && [ -d /usr/src/googletest ]; then
    echo "[gpu_check] no .gpudeps: vendoring it from this machine's packages" >&2
    vendor >&2 || { echo "vendoring failed" >&2; exit 2; }
  else
    echo "no .gpudeps and nothing to vendor it from: run 'bash tools/gpu_check.sh --vendor' where Eigen," \
      "spdlog, fmt and GoogleTest are installed, and carry .gpudeps" >&2
    exit 2
  fi
fi

# Stage timeouts below are sized for the device machine (16 cores); a dry run here (2 cores)
# scales them, and the budget, by GPU_CHECK_CAP_SCALE (default 3 in a dry run).
scale=${GPU_CHECK_CAP_SCALE:-1}
[ "$mode" = dry-run ] && scale=${GPU_CHECK_CAP_SCALE:-3}
cap() { echo $(($1 * scale)); }
OUT=${OUT:-$ROOT/gpu_check_out}
WORK=$(mktemp -d /tmp/amf_gpu_check.XXXXXX)
BUILD=${BUILD:-$WORK/build}
cleanup() {
  [ -f "$OUT/summary.md" ] && cat "$OUT/summary.md"  # the device tool shows the output's tail
  [ "${GPU_CHECK_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
gc_init "$OUT" "$WORK" "${GPU_CHECK_BUDGET_S:-$(cap 420)}" "amf GPU check ($mode)"
{
  echo "host $(hostname), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null)"
  timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  nvcc --version 2>/dev/null | tail -1
} > "$WORK/device.txt" 2>&1
has_device=0
timeout 20 nvidia-smi -L > /dev/null 2>&1 && has_device=1
[ "$mode" = dry-run ] && [ $has_device = 1 ] && gc_note "dry run on a machine with a GPU: the GPU parts run too"

# Configure: with LibTorch when the interpreter's torch configures, else without.
# One interpreter start (importing torch takes seconds): its CMake prefix, then its version.
torch_info=$(timeout 60 python3 -c 'import torch; print(torch.utils.cmake_prefix_path); print("torch", torch.__version__)' 2>/dev/null)
TORCH_PREFIX=$(sed -n 1p <<< "$torch_info")
TORCH_VERSION=$(sed -n 2p <<< "$torch_info")
[ -n "$TORCH_VERSION" ] || TORCH_VERSION="python3 without torch"
GENERATOR=Ninja
command -v ninja > /dev/null || { GENERATOR="Unix Makefiles"; gc_note "no ninja: building with make"; }
CONFIGURE="cmake -S '$ROOT' -B '$BUILD' -G '$GENERATOR' -DCMAKE_BUILD_TYPE=Release -DAMF_ENGINE_ONLY=ON -DAMF_VENDOR_DIR='$ROOT/.gpudeps'"
# $1 = fresh: start from an empty build directory (after a failed configure, so nothing of it
# stays in the cache); otherwise keep the objects already built (after a failed build).
without_torch() {
  [ "${1:-}" = fresh ] && rm -rf "$BUILD"
  gc_stage configure-without-libtorch "$(cap 120)" "$CONFIGURE -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON"
}
torch=0
if gc_stage configure "$(cap 120)" "$CONFIGURE -DCMAKE_PREFIX_PATH='$TORCH_PREFIX'"; then
  # tests/engine_only/CMakeLists.txt looks for Torch QUIET: found or not, configure succeeds.
  torch_dir=$(sed -n 's/^Torch_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
  case "$torch_dir" in
    "" | *NOTFOUND) gc_note "LibTorch: not found ($TORCH_VERSION): built without the LibTorch columns" ;;
    *) torch=1; gc_note "LibTorch: $torch_dir ($TORCH_VERSION)" ;;
  esac
else
  gc_note "LibTorch: $TORCH_VERSION did not configure (log of 'configure'): configured without it"
  without_torch fresh || { gc_note "configure failed without LibTorch too: nothing to build"; exit 1; }
fi

JOBS=$(nproc)
if ! gc_stage build "$(cap 300)" "cmake --build '$BUILD' -j $JOBS"; then
  [ $torch = 1 ] || exit 1
  gc_note "the build with LibTorch failed (log of 'build'): rebuilt without it"
  torch=0
  without_torch && gc_stage build-without-libtorch "$(cap 300)" "cmake --build '$BUILD' -j $JOBS" || exit 1
fi

# The machine-code check reads the build with cuobjdump, which a toolkit without it (or a clone
# without .venv's wheels) lacks: that says nothing about the device, so it is left out and noted.
skip_tests=""
if grep -q '^AMF_CUOBJDUMP:FILEPATH=.*NOTFOUND' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  skip_tests="-E sass_fused_kernel"
  gc_note "sass_fused_kernel left out: no cuobjdump here (the full CI build runs it)"
fi
gc_stage tests "$(cap 150)" "cd '$BUILD/tests/engine_only' && ctest --output-on-failure -j $((JOBS < 4 ? JOBS : 4)) --timeout 120 $skip_tests"

BENCH="$BUILD/tests/engine_only/gpu_bench"
gc_stage bench-gp "$(cap 90)" "'$BENCH' '$WORK/bench/1_gp' --part gp"
gc_stage bench-wnn-reduced "$(cap 90)" "'$BENCH' '$WORK/bench/2_wnn_n1000' --part nn --nn-candidates 1000"

# The GPyTorch peer on the W-GP problem bench-gp exported (the dry run's W-GP-scaled here).
PEER_PYTHON=${PEER_PYTHON:-python3}
if [ ! -d "$WORK/bench/1_gp/gp_peer" ]; then
  gc_note "gpytorch-peer skipped: bench-gp exported no problem"
elif timeout 60 "$PEER_PYTHON" -c 'import gpytorch, torch' 2>/dev/null; then
  gc_stage gpytorch-peer "$(cap 90)" "'$PEER_PYTHON' bench/gpytorch_peer.py '$WORK/bench/1_gp/gp_peer' > '$WORK/gpytorch_peer.md'"
else
  gc_note "gpytorch-peer skipped: $PEER_PYTHON cannot import gpytorch and torch"
fi

if [ $has_device = 1 ]; then
  gc_stage bench-wnn-full 600 "'$BENCH' '$WORK/bench/3_wnn_n10000' --part nn --nn-candidates 10000"
else
  gc_note "bench-wnn-full skipped: no device (W-NN's device rows need one)"
fi
[ "$GC_FAILED" -eq 0 ]

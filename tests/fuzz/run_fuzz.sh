#!/usr/bin/env bash
# Builds the HDF5 demonstrations reader with clang's libFuzzer + AddressSanitizer and fuzzes it
# for a bounded time (FUZZ_SECONDS, default 60) from tests/fuzz/seeds. A crash fails the test and
# leaves the input in $WORK/artifacts: copy it into tests/fuzz/regressions/ (the unit test
# Demonstrations.FuzzSeedsAndRegressionsNeverCrash replays every file there on each CI run).
#
# By default the public reader is fuzzed, which parses in a forked child (isolated_read.cpp), so
# this checks amf's promise: no input crashes the caller. AMF_HDF5_IN_PROCESS=1 fuzzes the
# in-process parser instead, with full coverage feedback: that mode finds libhdf5's own crashes
# (regressions/libhdf5_segv_H5F_accum_read.h5 came from it) and is expected to stop on one.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-$(mktemp -d)}
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$SRC"/tests/fuzz/seeds/* "$WORK/corpus/"
HDF5_INC=/usr/include/hdf5/serial
HDF5_LIB=/usr/lib/x86_64-linux-gnu/hdf5/serial
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address -I"$SRC/include" -I"$SRC/host" -I"$HDF5_INC" \
  "$SRC/tests/fuzz/fuzz_demonstrations.cpp" "$SRC/host/io/hdf5_demonstrations.cpp" \
  "$SRC/host/io/isolated_read.cpp" "$SRC/host/core/dataset.cpp" "$SRC/host/io/atomic_file.cpp" \
  -L"$HDF5_LIB" -lhdf5 -o "$WORK/fuzz_demonstrations"
# Leak checking is off: libhdf5 keeps global state alive until exit by design. Huge allocations
# return NULL as plain malloc does (libhdf5 asks for them on corrupt sizes and handles the NULL).
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$WORK/fuzz_demonstrations" "$WORK/corpus" -max_total_time="$SECONDS_BUDGET" \
  -max_len=65536 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$WORK/artifacts/" -print_final_stats=1

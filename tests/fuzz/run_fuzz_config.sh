#!/usr/bin/env bash
# Builds the TOML study and sweep loaders (load_study_config, load_sweep_config) with clang's
# libFuzzer + AddressSanitizer and fuzzes them for a bounded time (FUZZ_SECONDS, default 60) from
# tests/fuzz/config_seeds and tests/fuzz/config_regressions, with config.dict (the schema's section
# and field names) so that mutations get past the TOML parser into the field checks. A crash, a
# hang, running out of memory or any exception other than amf::Error fails the test and leaves the
# input in $WORK/artifacts: minimise it ($WORK/fuzz_study_config -minimize_crash=1 -runs=100000
# INPUT), fix the loader, and copy the input into tests/fuzz/config_regressions/ under a name that
# says what it found (StudyConfig.FuzzSeedsAndRegressionsNeverCrash replays every file there on
# each CI run).
#
# Only what loading needs is compiled, from source, so the test needs no CMake build. FUZZED is
# the code under test, instrumented for coverage and ASan (toml++ included: it is header-only
# here). LINKED is compiled plain, for speed: what FUZZED calls outside it (parse_backend_kind and
# parse_interval_kind, which validation calls; the sweep runner's files, which loading never
# calls). What those would pull in from the engine and the study runner is stubbed out in
# fuzz_study_config_stubs.cpp; a new dependency of these files shows up here as a link error.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-$(mktemp -d)}
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
mkdir -p "$WORK/corpus" "$WORK/artifacts" "$WORK/obj/fuzzed" "$WORK/obj/linked"
find "$SRC/tests/fuzz/config_seeds" "$SRC/tests/fuzz/config_regressions" -type f -exec cp {} "$WORK/corpus/" \;
rm -f "$WORK"/obj/*/*.o

FUZZED=(tests/fuzz/fuzz_study_config.cpp host/io/study_config_toml.cpp host/io/sweep_config_toml.cpp
        host/study/study_config.cpp host/study/sweep_runs.cpp)
LINKED=(tests/fuzz/fuzz_study_config_stubs.cpp host/core/backend.cpp host/cuda/device_probe_stub.cpp
        host/core/resolve_views.cpp host/core/array_view.cpp host/cuda/device_views_stub.cpp
        host/core/validate.cpp host/core/validate_common.cpp host/io/run_lock.cpp host/io/atomic_file.cpp
        host/study/run_checkpoint.cpp host/study/run_result.cpp host/study/study_json.cpp
        host/study/bootstrap.cpp host/study/student_t.cpp)
INCLUDES=(-I"$SRC/include" -I"$SRC/host")
# toml++'s debug assertions off, as in Debian's libtomlplusplus that amf links: one of them
# (parse_key, upstream tomlplusplus#301) fires on malformed headers that the library then reports
# as a parse error. Not NDEBUG: under clang that turns those assertions into __builtin_assume.
TOML_DEFS=(-DTOML_HEADER_ONLY=1 '-DTOML_ASSERT(expr)=static_assert(true)')
# Debian's spdlog is a compiled library with external fmt (its CMake package's definitions).
SPDLOG_DEFS=(-DSPDLOG_COMPILED_LIB -DSPDLOG_SHARED_LIB -DSPDLOG_FMT_EXTERNAL)
(cd "$WORK/obj/fuzzed" && clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address "${INCLUDES[@]}" "${TOML_DEFS[@]}" \
  -c "${FUZZED[@]/#/$SRC/}") &
fuzzed=$!
(cd "$WORK/obj/linked" && clang++-14 -std=c++17 -O0 "${INCLUDES[@]}" "${SPDLOG_DEFS[@]}" \
  -c "${LINKED[@]/#/$SRC/}") &
linked=$!
wait $fuzzed
wait $linked
clang++-14 -fsanitize=fuzzer,address "$WORK"/obj/fuzzed/*.o "$WORK"/obj/linked/*.o -lspdlog -lfmt \
  -o "$WORK/fuzz_study_config"

"$WORK/fuzz_study_config" "$WORK/corpus" -dict="$SRC/tests/fuzz/config.dict" -max_total_time="$SECONDS_BUDGET" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$WORK/artifacts/" -print_final_stats=1

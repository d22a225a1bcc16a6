#!/usr/bin/env bash
# The GPU check's output contract (tools/gpu_check_stages.sh), without building anything: fake
# stages that pass, fail, time out, litter $OUT and write benchmark tables, then checks that $OUT
# holds at most 8 files, that summary.md and stages.csv give every stage's status, that the
# tarball has every finished stage's log and the stray files, and that the tables are merged
# with one csv header. A second run with no budget left checks that stages are skipped, not run.
# Usage: bash tests/gpu_check_contract.sh   (a few seconds; CTest label unit)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/amf_gc_contract.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}

. "$ROOT/tools/gpu_check_stages.sh"
GC_MIN_STAGE_S=1
gc_init "$TMP/out" "$TMP/work" 60 "contract test"
check "summary.md exists before any stage" test -f "$TMP/out/summary.md"

gc_stage passing 10 "echo hello from a passing stage"
check "a passing stage returns 0" test $? -eq 0
gc_stage failing 10 "echo about to fail; exit 3"
check "a failing stage returns its status" test $? -eq 3
gc_stage hanging 1 "sleep 30"
check "a stage past its timeout returns 124" test $? -eq 124
gc_stage littering 10 "for i in \$(seq 1 20); do echo \$i > \"$TMP/out/stray_\$i.txt\"; done"
for part in 1_gp 2_nn; do
  mkdir -p "$TMP/work/bench/$part"
  printf 'workload,seconds\n%s-row,1.5\n' "$part" > "$TMP/work/bench/$part/results.csv"
  printf '| table of %s |\n' "$part" > "$TMP/work/bench/$part/results.md"
done
gc_stage after-tables 10 "true"
gc_note "a note after the last stage"

out_files=$(find "$TMP/out" -mindepth 1 -maxdepth 1 | wc -l)
check "at most 8 files in OUT (found $out_files)" test "$out_files" -le 8
check "no running_stage.log once stages ended" test ! -e "$TMP/out/running_stage.log"
check "summary: passing ok" grep -q '^| passing | ok |' "$TMP/out/summary.md"
check "summary: failing with its status" grep -q '^| failing | failed (rc 3) |' "$TMP/out/summary.md"
check "summary: hanging timed out" grep -q '^| hanging | timed out |' "$TMP/out/summary.md"
check "summary: the failed stage's last lines" grep -q 'about to fail' "$TMP/out/summary.md"
check "stages.csv: header and 5 stages" test "$(wc -l < "$TMP/out/stages.csv")" -eq 6
listing=$(tar -tzf "$TMP/out/logs.tar.gz")
for log in 01_passing 02_failing 03_hanging 04_littering 05_after-tables; do
  check "tarball has $log.log" grep -q "logs/$log.log" <<< "$listing"
done
check "tarball has the stray files" grep -q 'logs/stray_in_out/stray_20.txt' <<< "$listing"
check "results.csv: one header, a part column, both parts" \
  test "$(cat "$TMP/out/results.csv")" = "$(printf 'part,workload,seconds\n1_gp,1_gp-row,1.5\n2_nn,2_nn-row,1.5')"
check "results.md: both tables" grep -q 'table of 2_nn' "$TMP/out/results.md"
check "summary: a note written after the last stage" grep -q 'a note after the last stage' "$TMP/out/summary.md"

# No budget left: the stage is skipped with a note, and its command never runs.
gc_init "$TMP/out2" "$TMP/work2" 0 "contract test, no budget"
gc_stage too-late 10 "touch '$TMP/ran'"
check "a stage without time returns 125" test $? -eq 125
check "a skipped stage does not run" test ! -e "$TMP/ran"
check "summary: skipped stage" grep -q '^| too-late | skipped |' "$TMP/out2/summary.md"
check "summary: why it was skipped" grep -q 'too-late skipped' "$TMP/out2/summary.md"

echo "$failures failed"
[ "$failures" -eq 0 ]

# Stage runner and packer of the GPU check (sourced by tools/gpu_check.sh and by
# tests/gpu_check_contract.sh). Why it exists: device time is scarce and the device tool returns at
# most 8 files from $OUT, so
#   - every stage runs under its own timeout, cut to what is left of the run's budget (a stage
#     that cannot get GC_MIN_STAGE_S seconds is skipped and says so);
#   - after every stage $OUT is repacked at once: summary.md and stages.csv (each stage's status,
#     seconds and timeout), results.md/results.csv merged from every benchmark directory,
#     gpytorch_peer.md, and logs.tar.gz with every finished stage's log. A run killed from outside
#     still leaves what finished, plus running_stage.log of the stage it was in;
#   - anything else found in $OUT (a stray file a program wrote there) is moved into the tarball,
#     so $OUT never holds more than GC_MAX_OUT_FILES files.
# Variables set by gc_init: OUT, GC_WORK (logs and benchmark directories, outside $OUT).

GC_MAX_OUT_FILES=8
GC_MIN_STAGE_S=${GC_MIN_STAGE_S:-10}
# The files gc_pack writes; everything else in $OUT is swept into logs.tar.gz.
GC_OUT_FILES="summary.md stages.csv results.md results.csv gpytorch_peer.md logs.tar.gz running_stage.log"

# gc_init OUT WORK BUDGET_S TITLE
gc_init() {
  OUT=$1 GC_WORK=$2 GC_BUDGET_S=$3 GC_TITLE=$4
  GC_START=$(date +%s)
  mkdir -p "$OUT" "$GC_WORK/logs" "$GC_WORK/bench"
  local f
  for f in $GC_OUT_FILES; do rm -f "$OUT/$f"; done
  : > "$GC_WORK/stages.csv"
  : > "$GC_WORK/notes.md"
  GC_STAGE_COUNT=0
  GC_FAILED=0
  gc_pack
}

gc_elapsed() { echo $(($(date +%s) - GC_START)); }
gc_remaining() { echo $((GC_BUDGET_S - $(gc_elapsed))); }

# A line for the summary's notes (a fallback taken, a stage left out and why), packed at once.
gc_note() {
  echo "- $*" >> "$GC_WORK/notes.md"
  echo "[gpu_check] note: $*" >&2
  gc_pack
}

# gc_stage NAME CAP_S COMMAND: runs COMMAND (a bash string, in the repository root) under
# timeout min(CAP_S, what is left); its output goes to running_stage.log in $OUT while it runs,
# then into the tarball. Returns the command's status, 124 when it timed out, 125 when skipped.
gc_stage() {
  local name=$1 cap=$2 cmd=$3
  GC_STAGE_COUNT=$((GC_STAGE_COUNT + 1))
  local log
  log=$(printf '%02d_%s.log' "$GC_STAGE_COUNT" "$name")
  local left limit
  left=$(gc_remaining)
  limit=$((cap < left ? cap : left))
  if [ "$limit" -lt "$GC_MIN_STAGE_S" ]; then
    echo "$name,skipped,0,$limit," >> "$GC_WORK/stages.csv"
    gc_note "$name skipped: ${left} s of the ${GC_BUDGET_S} s budget left, it needs at least ${GC_MIN_STAGE_S} s"
    return 125
  fi
  echo "[gpu_check] $name (timeout ${limit} s)" >&2
  local t0 rc status
  t0=$(date +%s)
  { echo "\$ $cmd"; echo "# timeout ${limit} s, started $(date -u +%H:%M:%S) UTC"; } > "$OUT/running_stage.log"
  # --kill-after: a stage that ignores SIGTERM (a hung CUDA call) is killed 5 s later.
  timeout --kill-after=5 "$limit" bash -c "$cmd" >> "$OUT/running_stage.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timed out"; rc=124 ;;
    *) status="failed (rc $rc)" ;;
  esac
  [ $rc -eq 0 ] || GC_FAILED=$((GC_FAILED + 1))
  mv "$OUT/running_stage.log" "$GC_WORK/logs/$log"
  echo "$name,$status,$(($(date +%s) - t0)),$limit,$log" >> "$GC_WORK/stages.csv"
  echo "[gpu_check] $name: $status in $(($(date +%s) - t0)) s" >&2
  gc_pack
  return $rc
}

# Merge every benchmark directory's results (GC_WORK/bench/*/results.{md,csv}, in stage order)
# into $OUT: the csv's header once.
gc_merge_results() {
  local md csv first=1
  : > "$OUT/results.md.tmp"
  : > "$OUT/results.csv.tmp"
  for md in "$GC_WORK"/bench/*/results.md; do
    [ -f "$md" ] || continue
    { echo "## $(basename "$(dirname "$md")")"; echo; cat "$md"; echo; } >> "$OUT/results.md.tmp"
  done
  for csv in "$GC_WORK"/bench/*/results.csv; do
    [ -f "$csv" ] || continue
    # A first column naming the benchmark stage the row came from.
    awk -v part="$(basename "$(dirname "$csv")")" -v header=$first \
      'NR == 1 { if (header) print "part," $0; next } { print part "," $0 }' "$csv" >> "$OUT/results.csv.tmp"
    first=0
  done
  if [ -s "$OUT/results.md.tmp" ]; then mv "$OUT/results.md.tmp" "$OUT/results.md"; else rm -f "$OUT/results.md.tmp"; fi
  if [ -s "$OUT/results.csv.tmp" ]; then mv "$OUT/results.csv.tmp" "$OUT/results.csv"; else rm -f "$OUT/results.csv.tmp"; fi
}

gc_write_summary() {
  local s="$OUT/summary.md.tmp"
  {
    echo "# $GC_TITLE"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M:%S') UTC; $(gc_elapsed) s of a ${GC_BUDGET_S} s budget used;" \
      "$GC_STAGE_COUNT stages run, $GC_FAILED not ok."
    echo
    [ -f "$GC_WORK/device.txt" ] && { echo '```'; cat "$GC_WORK/device.txt"; echo '```'; echo; }
    if [ -s "$GC_WORK/notes.md" ]; then echo "Notes:"; echo; cat "$GC_WORK/notes.md"; echo; fi
    echo "| stage | status | seconds | timeout s | log (in logs.tar.gz) |"
    echo "|---|---|---|---|---|"
    local name status secs limit log
    while IFS=, read -r name status secs limit log; do
      echo "| $name | $status | $secs | $limit | ${log:--} |"
    done < "$GC_WORK/stages.csv"
    echo
    # The end of each stage that was not ok, so the summary alone says what went wrong.
    while IFS=, read -r name status secs limit log; do
      [ "$status" = ok ] || [ -z "$log" ] && continue
      echo "### $name: $status, last lines"
      echo; echo '```'; tail -n 25 "$GC_WORK/logs/$log"; echo '```'; echo
    done < "$GC_WORK/stages.csv"
  } > "$s"
  mv "$s" "$OUT/summary.md"
  { echo "stage,status,seconds,timeout_s,log"; cat "$GC_WORK/stages.csv"; } > "$OUT/stages.csv.tmp"
  mv "$OUT/stages.csv.tmp" "$OUT/stages.csv"
}

# Repack $OUT (see the header). Atomic per file: each is written beside and renamed.
gc_pack() {
  local f keep
  for f in "$OUT"/* "$OUT"/.[!.]*; do
    [ -e "$f" ] || continue
    keep=0
    case " $GC_OUT_FILES " in *" $(basename "$f") "*) keep=1 ;; esac
    if [ $keep -eq 0 ]; then
      mkdir -p "$GC_WORK/logs/stray_in_out"
      mv "$f" "$GC_WORK/logs/stray_in_out/"
    fi
  done
  gc_merge_results
  [ -f "$GC_WORK/gpytorch_peer.md" ] && cp "$GC_WORK/gpytorch_peer.md" "$OUT/gpytorch_peer.md"
  gc_write_summary
  tar -czf "$OUT/logs.tar.gz.tmp" -C "$GC_WORK" logs stages.csv notes.md && mv "$OUT/logs.tar.gz.tmp" "$OUT/logs.tar.gz"
  local count
  count=$(find "$OUT" -mindepth 1 -maxdepth 1 | wc -l)
  [ "$count" -le "$GC_MAX_OUT_FILES" ] || echo "[gpu_check] BUG: $count files in $OUT" >&2
}

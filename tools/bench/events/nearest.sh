#!/usr/bin/env bash
# Nearest-grid benchmark: the time `wangge assign --nearest` spends per point in no grid,
# for points near the grids (up to about 5 km out) and far away (London, Sydney, New York,
# either side of the antimeridian), this tree's method against the one before it (a
# binary of OLD_REF), both measured in this run on the shared 20,000-grid workload.
#
#   bash tools/bench/events/nearest.sh
#
# Time per point = (CPU seconds of `assign --nearest` - CPU seconds of the same `assign`
# without --nearest) / points, user + system time of the whole process by /usr/bin/time,
# median of RUNS; `--threads 1`. CPU time, not the wall clock: it stays put on a busy
# machine. The old method gets fewer points (it takes up to a second a point).
#
# Environment:
#   WANGGE=path       the new binary (default: build/ built with scripts/build.sh)
#   WANGGE_OLD=path   the old binary (default: OLD_REF built from `git archive` in the work dir)
#   OLD_REF=rev       default 5d6d866, the last commit with the old nearest()
#   WANGGE_BENCH_DATA grids.gpkg of the shared workload (default /tmp/wangge-bench-data);
#                     when missing, the grids alone are generated there by gen_workload.py
#   BENCH_OUT=dir     work files (default: a new temp dir)
#   RUNS=n            default 3;  N_NEAR / N_FAR (100000 / 20000), OLD_NEAR / OLD_FAR (2000 / 50)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/tools/bench/events"
PY=/usr/bin/python3
RUNS=${RUNS:-3}
N_NEAR=${N_NEAR:-100000}; N_FAR=${N_FAR:-20000}; OLD_NEAR=${OLD_NEAR:-2000}; OLD_FAR=${OLD_FAR:-50}
OLD_REF=${OLD_REF:-5d6d866}
DATA=${WANGGE_BENCH_DATA:-/tmp/wangge-bench-data}
GEN=${WANGGE_BENCH_GEN:-$root/../shared/bench/gen_workload.py}
work=${BENCH_OUT:-$(mktemp -d /tmp/wangge-nearest-bench.XXXXXX)}
mkdir -p "$work"
log() { echo "bench: $*" >&2; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)

if [ -z "${WANGGE:-}" ]; then
  log "building build/"; (cd "$root" && scripts/build.sh build >/dev/null); WANGGE="$root/build/tools/wangge"
fi
if [ -z "${WANGGE_OLD:-}" ]; then
  log "building $OLD_REF (the old method) in $work/old"
  rm -rf "$work/old"; mkdir -p "$work/old"
  (cd "$root" && git archive "$OLD_REF" | tar -x -C "$work/old")
  (cd "$work/old" && scripts/build.sh build >/dev/null)
  WANGGE_OLD="$work/old/build/tools/wangge"
fi
cp "$WANGGE" "$work/wangge-new"; cp "$WANGGE_OLD" "$work/wangge-old"
if [ ! -f "$DATA/grids.gpkg" ]; then
  log "generating the 20,000 grids into $DATA"
  "$PY" "$GEN" --out "$DATA" --events --gdal-events >/dev/null
fi
grids="$DATA/grids.gpkg"
log "probe points"
"$PY" "$here/nearest_points.py" "$grids" "$work" --near "$N_NEAR" --far "$N_FAR"
head -n $((OLD_NEAR + 1)) "$work/near.csv" > "$work/near_old.csv"
head -n $((OLD_FAR + 1)) "$work/far.csv" > "$work/far_old.csv"

# median CPU seconds (user + system) and wall seconds of RUNS runs of: wangge assign ... [--nearest]
measure() {  # bin input output [--nearest]
  local bin=$1 in=$2 out=$3; shift 3
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%U %S %e" -o "$work/time.txt" "$work/$bin" assign --grids "$grids" --in "$work/$in" \
      --out "$work/$out" --threads 1 "$@" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
    awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$work/time.txt"
  done | sort -n | awk -v n="$RUNS" '{ c[NR] = $1; w[NR] = $2; all = all (NR > 1 ? "," : "") $1 }
      END { m = int((n + 1) / 2); printf "%s %s %s\n", c[m], w[m], all }'
}
: > "$work/times.txt"
for side in new old; do
  for set in near far; do
    in="$set.csv"; [ "$side" = old ] && in="${set}_old.csv"
    log "$side $set: plain, then --nearest ($RUNS runs each)"
    plain=$(measure "wangge-$side" "$in" "$side-$set-plain.csv")
    near=$(measure "wangge-$side" "$in" "$side-$set-nearest.csv" --nearest)
    echo "$side $set $(($(wc -l < "$work/$in") - 1)) $plain $near" >> "$work/times.txt"
  done
done
{
  echo "date:     $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit:   $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- engine/src/events/coverage_index.cpp || echo ' (coverage_index.cpp changed)')"
  echo "old:      $OLD_REF ($WANGGE_OLD)"
  echo "new:      $WANGGE"
  echo "cores:    $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "load avg: $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
} > "$work/machine.txt"
"$PY" "$here/nearest_report.py" "$work" | tee "$work/report.md"
log "work files in $work"

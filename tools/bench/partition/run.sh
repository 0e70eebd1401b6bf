#!/usr/bin/env bash
# Partition benchmark: `wangge partition` on every sample village against a simple
# baseline (weighted k-means on the household points + Voronoi cells clipped to the
# village), both measured in this run, quality by the same metrics script.
#
#   bash tools/bench/partition/run.sh
#
# Environment: WANGGE=path/to/wangge uses that binary instead of building build/;
# BENCH_OUT=dir keeps the work files there (default: a new temp dir, printed at the end);
# RUNS=n timed runs of each side (default 3, the median is reported).
# Prints a Markdown table (also written to $BENCH_OUT/report.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/tools/bench/partition"
cd "$root"
t_begin=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
RUNS=${RUNS:-3}
THREADS=2
PY=/usr/bin/python3  # Debian's, with python3-numpy, python3-shapely, python3-gdal

# ---- what the benchmark needs beyond the build dependencies (Debian 12 packages)
bench_pkgs=(python3 python3-numpy python3-shapely python3-gdal time)
missing=()
for p in "${bench_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

OUT=${BENCH_OUT:-$(mktemp -d /tmp/wangge-bench-partition.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# ---- wangge: build if needed (incremental; nothing to do when up to date)
if [ -n "${WANGGE:-}" ]; then
  W=$WANGGE
else
  echo "bench: building wangge (log: $OUT/build.log)" >&2
  if ! { scripts/install-deps.sh && scripts/build.sh build; } >"$OUT/build.log" 2>&1; then
    tail -30 "$OUT/build.log" >&2
    exit 1
  fi
  W=$root/build/tools/wangge
fi
[ -x "$W" ] || { echo "bench: no wangge binary at $W" >&2; exit 1; }

S=$root/shapefiles
V=$S/huzhou_villages.shp
H=$S/huzhou_households.shp
B=$S/huzhou_barriers.shp

# ---- a fresh store with the sample
echo "bench: importing the sample into $OUT/base.sqlite" >&2
DB=$OUT/base.sqlite
rm -f "$DB" "$DB"-wal "$DB"-shm
{
  "$W" --db "$DB" codes load "$S/codes"
  "$W" --db "$DB" import "$S/huzhou_counties.shp"
  "$W" --db "$DB" import "$S/huzhou_townships.shp" --parent-field parent
  "$W" --db "$DB" import "$S/huzhou_villages.shp" --parent-field parent
  "$W" --db "$DB" import households "$H"
  "$W" --db "$DB" import barriers "$B"
} >"$OUT/import.log" 2>&1 || { cat "$OUT/import.log" >&2; exit 1; }

# ---- wangge partition, timed: each run on a fresh copy of the imported store, so every
# run does the full job (partition, code every grid, write them); copying is not timed.
RUN_DB=$OUT/run.sqlite
for i in $(seq 1 "$RUNS"); do
  rm -f "$RUN_DB" "$RUN_DB"-wal "$RUN_DB"-shm
  cp "$DB" "$RUN_DB"
  for ext in -wal -shm; do if [ -e "$DB$ext" ]; then cp "$DB$ext" "$RUN_DB$ext"; fi; done
  sync
  /usr/bin/time -v -o "$OUT/wangge_time.$i.txt" \
    "$W" --db "$RUN_DB" partition --threads $THREADS >"$OUT/wangge_partition.$i.txt" 2>&1 \
    || { cat "$OUT/wangge_partition.$i.txt" >&2; exit 1; }
  echo "bench: wangge run $i: $(grep -m1 '^partitioned' "$OUT/wangge_partition.$i.txt")" >&2
done
"$W" --db "$RUN_DB" export grids --out "$OUT/wangge_grids.gpkg" --overwrite >"$OUT/export.log" 2>&1 \
  || { cat "$OUT/export.log" >&2; exit 1; }

# ---- baseline, timed the same way (2 worker processes for the 2 threads of wangge)
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -v -o "$OUT/baseline_time.$i.txt" \
    $PY "$here/baseline_kmeans.py" "$V" "$H" "$OUT/baseline_grids.gpkg" --procs $THREADS \
    --timing-json "$OUT/baseline_timing.$i.json" >"$OUT/baseline.$i.txt" 2>&1 \
    || { cat "$OUT/baseline.$i.txt" >&2; exit 1; }
  echo "bench: baseline run $i: $(cat "$OUT/baseline.$i.txt")" >&2
done

# ---- the same metrics for both
$PY "$here/metrics.py" "$OUT/wangge_grids.gpkg" "$V" "$H" "$B" --label wangge \
  --json "$OUT/wangge_metrics.json" >&2
$PY "$here/metrics.py" "$OUT/baseline_grids.gpkg" "$V" "$H" "$B" --label baseline \
  --json "$OUT/baseline_metrics.json" >&2

# ---- machine facts
{
  echo "date:     $(date -u +%Y-%m-%dT%H:%MZ)"
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
  echo "commit:   $commit$dirty"
  echo "wangge:   $("$W" --version 2>&1 | head -1), $(basename "$W") at ${W#"$root"/}"
  echo "cores:    nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "load avg: $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15 min; other work on the machine skews the times)"
  echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "os:       $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  geos_lib=$(ldd "$W" 2>/dev/null | grep -o 'libgeos\.so\.[0-9.]*' | head -1 | sed 's/libgeos\.so\.//')
  gdal_ver=$(gdal-config --version 2>/dev/null || $PY -c 'from osgeo import gdal; print(gdal.__version__)')
  echo "wangge links: GEOS ${geos_lib:-?}, GDAL $gdal_ver"
  $PY -c 'import sys, numpy, shapely, shapely.geos as g; from osgeo import gdal
print(f"baseline: Python {sys.version.split()[0]}, numpy {numpy.__version__}, shapely {shapely.__version__} (GEOS {g.geos_version_string}), GDAL {gdal.__version__}")'
} >"$OUT/machine.txt"

$PY "$here/report.py" "$OUT" | tee "$OUT/report.md"
rm -f "$DB" "$RUN_DB" "$DB"-wal "$DB"-shm "$RUN_DB"-wal "$RUN_DB"-shm
echo "" >&2
echo "bench: done in $(( $(date +%s) - t_begin )) s; work files in $OUT" >&2

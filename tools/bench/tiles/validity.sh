#!/usr/bin/env bash
# Validity of every polygon wangge writes into tiles, on the shared 20,000-grid workload
# (case (a) of run.sh: grids z0-14). Builds the archive, then validcheck.py decodes every
# tile and checks each polygon feature with GEOS IsValid; prints one JSON line per zoom
# and a total, exits 1 when any polygon is invalid. About 30 s (build ~3 s, check ~20 s).
#
# Usage: tools/bench/tiles/validity.sh [BUILD_DIR]
# Env: WANGGE_BENCH_DATA (default /tmp/wangge-bench-data; grids.gpkg is generated there
#      if missing), WORK (default /tmp/wangge-bench-tiles), THREADS (default 2).
# Needs Debian's python3-shapely (and python3-gdal, python3-numpy to generate the data).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build="${1:-$root/build}"
wangge="$build/tools/wangge"
DATA="${WANGGE_BENCH_DATA:-/tmp/wangge-bench-data}"
WORK="${WORK:-/tmp/wangge-bench-tiles}"
SHARED="${SHARED_BENCH:-$root/../shared/bench}"
mkdir -p "$WORK"
if [ ! -s "$DATA/grids.gpkg" ]; then
  echo "[tiles-validity] generating the shared grids in $DATA" >&2
  /usr/bin/python3 "$SHARED/gen_workload.py" --out "$DATA" --events --gdal-events >&2
fi
out="$WORK/validity_grids.mbtiles"
rm -f "$out"
"$wangge" tiles build --grids-file "$DATA/grids.gpkg" --code-field code --out "$out" \
  --minzoom 0 --maxzoom 14 --zooms grids=0-14 --layers grids --threads "${THREADS:-2}" >&2
exec /usr/bin/python3 "$root/tools/bench/tiles/validcheck.py" "$out"

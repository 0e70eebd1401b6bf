#!/usr/bin/env bash
# Tiles benchmark: `wangge tiles build` against GDAL's own MBTiles/MVT writer
# (`ogr2ogr -f MBTiles`), same run, same data, same machine:
#   (a) the shared workload's 20,000 grids (../shared/bench), z0-14
#   (b) the 1,301 sample villages partitioned into grids (scripts/sample-job.sh), z0-16
#   (c) (a) plus the 1M-event point layer, z0-14 (wangge: points from z14, per-grid
#       counts below; GDAL: the points themselves at every zoom, via an OGR VRT)
# Each run is timed with /usr/bin/time -v (wall, max RSS); median of REPS (default 3;
# REPS_EVENTS for (c), default 1 because one run takes minutes). Tile count, total and
# largest tile (gzipped blobs, both tools) come from sqlite3 on the MBTiles; for wangge
# also its printed largest uncompressed tile. gapcheck.py decodes the middle z12 tile
# (a) and z13 tile (b) of both archives and measures overlap and uncovered area between
# the grid polygons. Prints a Markdown report on stdout; logs and archives in $WORK.
#
# Usage: tools/bench/tiles/run.sh [BUILD_DIR]
# Env: WANGGE_BENCH_DATA (default /tmp/wangge-bench-data), WORK (default
#      /tmp/wangge-bench-tiles), REPS, REPS_EVENTS, THREADS (default 2),
#      SKIP_EVENTS=1, SKIP_GDAL_EVENTS=1, GDAL_EVENTS_TIMEOUT (s, default 600).
# GDAL gets only the fields wangge writes (-select) so tile sizes compare; its MVT
# writer has no thread option (single-threaded), wangge runs with --threads $THREADS.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/tools/bench/tiles"
build="${1:-$root/build}"
wangge="$build/tools/wangge"
DATA="${WANGGE_BENCH_DATA:-/tmp/wangge-bench-data}"
WORK="${WORK:-/tmp/wangge-bench-tiles}"
REPS="${REPS:-3}"
REPS_EVENTS="${REPS_EVENTS:-1}"
THREADS="${THREADS:-2}"
GDAL_EVENTS_TIMEOUT="${GDAL_EVENTS_TIMEOUT:-600}"
SHARED="${SHARED_BENCH:-$root/../shared/bench}"
log() { printf '[tiles-bench] %s\n' "$*" >&2; }
t_start=$(date +%s)

# --- prerequisites (Debian 12): install only what is missing -------------------
need=()
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time)
/usr/bin/python3 -c 'import shapely' 2>/dev/null || need+=(python3-shapely)
/usr/bin/python3 -c 'import osgeo' 2>/dev/null || need+=(python3-gdal)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
if [ ! -x "$wangge" ]; then
  log "building wangge"; bash "$root/scripts/build.sh" "$build" >&2
fi

# --- data -----------------------------------------------------------------------
if [ ! -s "$DATA/grids.gpkg" ] || [ ! -s "$DATA/events_1m.csv" ]; then
  log "generating the shared workload (grids + 1M events) in $DATA"
  /usr/bin/python3 "$SHARED/gen_workload.py" --out "$DATA" --events 1000000 --gdal-events >&2
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd); rm -f "$WORK"/*.res
log "building the sample store (scripts/sample-job.sh) in $WORK/sample"
bash "$root/scripts/sample-job.sh" "$build" "$WORK/sample" > "$WORK/sample-job.log" 2>&1
store="$WORK/sample/huzhou.sqlite"
sample_gpkg="$WORK/sample/sample_grids.gpkg"
"$wangge" --db "$store" export grids --out "$sample_gpkg" --overwrite > "$WORK/export.log" 2>&1

cat > "$WORK/grids_events.vrt" <<EOF
<OGRVRTDataSource>
  <OGRVRTLayer name="grids"><SrcDataSource>$DATA/grids.gpkg</SrcDataSource><SrcLayer>grids</SrcLayer></OGRVRTLayer>
  <OGRVRTLayer name="events"><SrcDataSource>$DATA/events_1m.csv</SrcDataSource><SrcLayer>events_1m</SrcLayer>
    <GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>
    <GeometryField encoding="PointFromColumns" x="lon" y="lat"/></OGRVRTLayer>
</OGRVRTDataSource>
EOF

# --- timing ---------------------------------------------------------------------
# timed TAG N OUT.mbtiles CMD...  -> runs N times, keeps the last archive;
# writes "$WORK/TAG.res": median wall s, median max RSS MB
timed() {
  local tag=$1 n=$2 out=$3; shift 3
  local walls=() rss=() i
  for i in $(seq 1 "$n"); do
    rm -f "$out"
    /usr/bin/time -v -o "$WORK/$tag.time.$i" "$@" > "$WORK/$tag.out.$i" 2>&1 \
      || { log "$tag run $i failed, see $WORK/$tag.out.$i"; cat "$WORK/$tag.out.$i" >&2; return 1; }
    local w r
    w=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$WORK/$tag.time.$i")
    r=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/$tag.time.$i")
    walls+=("$w"); rss+=("$r")
    log "$tag run $i/$n: ${w} s, ${r} MB, load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')" \
                   "$(printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')" > "$WORK/$tag.res"
}
stats() { sqlite3 "$1" "SELECT count(*), printf('%.1f', sum(length(tile_data))/1048576.0), printf('%.1f', max(length(tile_data))/1024.0) FROM tiles" | tr '|' ' '; }
raw_largest() { grep -o 'largest [0-9.]* KB' "$1" | head -1 | awk '{print $2}'; }


load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "(a) shared 20k grids z0-14"
timed a_wangge "$REPS" "$WORK/a_wangge.mbtiles" "$wangge" tiles build --grids-file "$DATA/grids.gpkg" --code-field code \
  --out "$WORK/a_wangge.mbtiles" --minzoom 0 --maxzoom 14 --zooms grids=0-14 --layers grids --threads "$THREADS"
timed a_gdal "$REPS" "$WORK/a_gdal.mbtiles" ogr2ogr -f MBTiles "$WORK/a_gdal.mbtiles" "$DATA/grids.gpkg" -nln grids -select code,households -dsco MINZOOM=0 -dsco MAXZOOM=14
log "(b) sample grids z0-16"
timed b_wangge "$REPS" "$WORK/b_wangge.mbtiles" "$wangge" --db "$store" tiles build \
  --out "$WORK/b_wangge.mbtiles" --minzoom 0 --maxzoom 16 --zooms grids=0-16 --layers grids --threads "$THREADS"
timed b_gdal "$REPS" "$WORK/b_gdal.mbtiles" ogr2ogr -f MBTiles "$WORK/b_gdal.mbtiles" "$sample_gpkg" -nln grids -select code,type,name,households,village,township -dsco MINZOOM=0 -dsco MAXZOOM=16
cases="a b"
if [ "${SKIP_EVENTS:-0}" != 1 ]; then
  log "(c) shared 20k grids + 1M events z0-14"
  timed c_wangge "$REPS_EVENTS" "$WORK/c_wangge.mbtiles" "$wangge" tiles build --grids-file "$DATA/grids.gpkg" --code-field code \
    --events-file "$DATA/events_1m.csv" --out "$WORK/c_wangge.mbtiles" --minzoom 0 --maxzoom 14 \
    --zooms grids=0-14,events=0-14 --layers grids,events --threads "$THREADS"
  [ "${SKIP_GDAL_EVENTS:-0}" = 1 ] || \
    timed c_gdal "$REPS_EVENTS" "$WORK/c_gdal.mbtiles" timeout "$GDAL_EVENTS_TIMEOUT" ogr2ogr -f MBTiles "$WORK/c_gdal.mbtiles" "$WORK/grids_events.vrt" -dsco MINZOOM=0 -dsco MAXZOOM=14 \
    || echo "killed" > "$WORK/c_gdal.res"
  cases="a b c"
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- gap check: the tile at the middle of the data's bounding box ----------------
mid_tile() {  # GPKG Z -> "x y" (XYZ)
  /usr/bin/python3 - "$1" "$2" <<'PY'
import math, sys
from osgeo import ogr
ds = ogr.Open(sys.argv[1]); z = int(sys.argv[2])
x0, x1, y0, y1 = ds.GetLayer(0).GetExtent()
lon, lat = (x0 + x1) / 2, (y0 + y1) / 2; n = 1 << z
print(int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
PY
}
read -r ax ay < <(mid_tile "$DATA/grids.gpkg" 12)
read -r bx by < <(mid_tile "$sample_gpkg" 13)
gap() { /usr/bin/python3 "$here/gapcheck.py" "$@" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["features"], d["overlap"], d["uncovered"], d["pieces"])'; }

# --- report ---------------------------------------------------------------------
label_a="20,000 grids (shared), z0-14"; label_b="1,301 sample villages' grids, z0-16"; label_c="20,000 grids + 1M events, z0-14"
echo "| data | tool | wall s (median of n) | max RSS MB | GDAL/wangge time | tiles | total MB (gz) | largest KB (gz) | largest KB (raw) |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in $cases; do
  eval "label=\$label_$c"
  n=$REPS; [ "$c" = c ] && n=$REPS_EVENTS
  read -r ww wr < "$WORK/${c}_wangge.res"
  read -r wt wsz wl < <(stats "$WORK/${c}_wangge.mbtiles")
  wraw=$(raw_largest "$WORK/${c}_wangge.out.1")
  if [ "$(cat "$WORK/${c}_gdal.res" 2>/dev/null)" = killed ]; then
    gw="> $GDAL_EVENTS_TIMEOUT (killed)"; gr=-; gt=-; gsz=-; gl=-; ratio="> $(awk -v g="$GDAL_EVENTS_TIMEOUT" -v w="$ww" 'BEGIN{printf "%.1f×", g/w}')"
  elif [ -f "$WORK/${c}_gdal.res" ]; then
    read -r gw gr < "$WORK/${c}_gdal.res"
    read -r gt gsz gl < <(stats "$WORK/${c}_gdal.mbtiles")
    ratio=$(awk -v g="$gw" -v w="$ww" 'BEGIN{printf "%.1f×", g/w}')
  else gw=skipped; gr=-; gt=-; gsz=-; gl=-; ratio=-; fi
  echo "| $label | wangge --threads $THREADS | $ww (n=$n) | $wr | $ratio | $wt | $wsz | $wl | $wraw |"
  echo "| $label | GDAL ogr2ogr -f MBTiles | $gw (n=$n) | $gr | | $gt | $gsz | $gl | |"
done
echo
echo "Gap check (grid layer of one tile, decoded with GDAL's MVT driver, clipped to the tile; areas in tile units², tile = 4096² = 16,777,216):"
echo
echo "| tile | tool | polygons | overlap area | uncovered area | uncovered pieces |"
echo "|---|---|---|---|---|---|"
for t in "a 12 $ax $ay" "b 13 $bx $by"; do
  read -r c z x y <<< "$t"
  for tool in wangge gdal; do
    read -r f o u p < <(gap "$WORK/${c}_${tool}.mbtiles" "$z" "$x" "$y")
    echo "| ($c) $z/$x/$y | $tool | $f | $o | $u | $p |"
  done
done
echo
echo "Machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(ogr2ogr --version | cut -d, -f1);" \
     "load average $load0 before, $load1 after; commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?');" \
     "$(date -u +%Y-%m-%d); script took $(( $(date +%s) - t_start )) s."

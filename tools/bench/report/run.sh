#!/usr/bin/env bash
# Report and audit benchmark (issue 17 item 7), every figure from this run:
#   city      `wangge audit --city 3305` on the sample (72 townships of 湖州市: coverage of
#             every village by its grids and of every township by its villages, staffing,
#             events, assessment; HTML, JSON, CSV per township), -j 2, --force, best
#             of RUNS; also with the PDF, with --formats json (the figures without drawing
#             them) and -j 1.
#             Target: under 5 s on 2 cores.
#   counties  the 85 coded county outlines of Zhejiang (tests/data/real, real gaps and
#             overlaps between neighbours) imported as counties, `wangge audit --all`: the
#             counties as one coverage of neighbours; best of RUNS. Target: under 2 s.
#             Peer: the same gaps and overlaps by a plain shapely overlay
#             (peer_overlay.py: STRtree candidate pairs, pairwise intersections, holes of
#             the union), same machine, same run, same file; with the totals of both.
# Usage: tools/bench/report/run.sh [BUILD_DIR]
# Env: RUNS (3), WORK (/tmp/wangge-bench-report), SAMPLE_DB (a store of the main job to
#      reuse: scripts/sample-job.sh writes out/huzhou.sqlite; default: built here).
# Needs python3-shapely for the peer (apt-get install python3-shapely); without it the
# peer is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
wangge="$build/tools/wangge"
work=${WORK:-/tmp/wangge-bench-report}
runs=${RUNS:-3}
mkdir -p "$work"

best_of() {  # best_of N cmd...: the smallest wall time in seconds of N runs
  local n=$1 best="" t
  shift
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$work/last.out" 2>"$work/last.err" || { local rc=$?; [ $rc -eq 4 ] || { cat "$work/last.err"; exit $rc; }; }
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

db="${SAMPLE_DB:-}"
if [ -z "$db" ]; then
  db="$work/huzhou.sqlite"
  if [ ! -f "$db" ]; then
    echo "building the sample store in $db" >&2
    s=$root/shapefiles
    "$wangge" -q --db "$db" codes load "$s/codes"
    for l in counties townships villages; do "$wangge" -q --db "$db" import "$s/huzhou_$l.shp"; done
    "$wangge" -q --db "$db" import households "$s/huzhou_households.shp"
    "$wangge" -q --db "$db" import barriers "$s/huzhou_barriers.shp"
    "$wangge" -q --db "$db" partition --dedicated "$s/huzhou_dedicated.geojson"
    "$wangge" -q --db "$db" events import "$s/huzhou_events_gcj02.csv" --crs gcj02 --rejects "$work/rejects.csv" || true
    [ -f "$s/staff_sample.csv" ] && "$wangge" -q --db "$db" import staff "$s/staff_sample.csv"
    [ -f "$s/events_handling_sample.csv" ] && "$wangge" -q --db "$db" events import "$s/events_handling_sample.csv" --crs gcj02 || true
  fi
fi

echo "# Report and audit benchmark"
echo
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load at start: $(cut -d' ' -f1-3 /proc/loadavg); wangge $("$wangge" --version | cut -d' ' -f2)"
echo
t_city=$(best_of "$runs" "$wangge" -q --db "$db" audit --city 3305 --out "$work/audit" -j 2 --force)
t_city_pdf=$(best_of "$runs" "$wangge" -q --db "$db" audit --city 3305 --out "$work/audit-pdf" -j 2 --force --formats html,pdf,json,csv)
t_city_json=$(best_of "$runs" "$wangge" -q --db "$db" audit --city 3305 --out "$work/audit-json" -j 2 --force --formats json)
t_city_1=$(best_of "$runs" "$wangge" -q --db "$db" audit --city 3305 --out "$work/audit-1" -j 1 --force)
t_city_reuse=$(best_of "$runs" "$wangge" -q --db "$db" audit --city 3305 --out "$work/audit" -j 2)
n_town=$(($(wc -l < "$work/audit/summary.csv") - 1))
echo "## audit --city 3305 on the sample ($n_town townships)"
echo
echo "| run | seconds (best of $runs) |"
echo "|---|---|"
echo "| -j 2, default formats (html, json, csv), --force | $t_city |"
echo "| -j 2, with the PDF (html, pdf, json, csv), --force | $t_city_pdf |"
echo "| -j 2, --formats json, --force | $t_city_json |"
echo "| -j 1, default formats, --force | $t_city_1 |"
echo "| -j 2, nothing changed (every township kept) | $t_city_reuse |"
echo

zj="$work/zhejiang_counties.geojson"
gunzip -c "$root/tests/data/real/zhejiang_counties.geojson.gz" > "$zj"
zdb="$work/zhejiang.sqlite"
rm -f "$zdb"
"$wangge" -q --db "$zdb" import "$zj" --level county --skip-invalid --repair > /dev/null 2>&1 || true
n_cty=$("$wangge" --db "$zdb" info | sed -n 's/^jurisdictions *\([0-9]*\) counties.*/\1/p')
t_cty=$(best_of "$runs" "$wangge" -q --db "$zdb" audit --all --out "$work/zj-audit" --force)
gaps=$(awk -F, 'NR>1 && $1=="gap"{n++; a+=$4} END{printf "%d (%.0f m²)", n, a}' "$work/zj-audit/coverage.csv")
overlaps=$(awk -F, 'NR>1 && $1=="overlap"{n++; a+=$4} END{printf "%d (%.0f m²)", n, a}' "$work/zj-audit/coverage.csv")
echo "## audit --all of the $n_cty coded Zhejiang county outlines as one coverage"
echo
echo "| tool | seconds (best of $runs) | gaps | overlaps |"
echo "|---|---|---|---|"
echo "| wangge audit --all | $t_cty | $gaps | $overlaps |"
py=${PYTHON:-/usr/bin/python3}  # Debian's python3, where python3-shapely installs
if "$py" -c 'import shapely' 2>/dev/null; then
  # the peer reads the same 85 coded features
  "$py" - "$zj" "$work/zj-coded.geojson" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
d["features"] = [f for f in d["features"] if f["properties"].get("code")]
json.dump(d, open(sys.argv[2], "w", encoding="utf-8"))
PY
  peer=$("$py" "$root/tools/bench/report/peer_overlay.py" "$work/zj-coded.geojson" "$runs")
  pt=$(echo "$peer" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
  po=$(echo "$peer" | sed -n 's/.*overlap_m2=\([0-9]*\) overlap_pairs=\([0-9]*\).*/\2 pairs (\1 m²)/p')
  pg=$(echo "$peer" | sed -n 's/.*gap_m2=\([0-9]*\).*/\1 m²/p')
  echo "| shapely $("$py" -c 'import shapely; print(shapely.__version__)') overlay (peer) | $pt | $pg | $po |"
  echo
  echo "wangge ÷ peer: $(echo "$t_cty / $pt" | bc -l | xargs printf '%.2f')× (the audit also starts the process, opens the store and writes its files)"
else
  echo
  echo "(peer skipped: python3-shapely is not installed)"
fi

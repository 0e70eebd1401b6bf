#!/usr/bin/env bash
# The main job on the shipped sample (湖州市, 5 counties): what a new user runs
# first. It grows with every feature: today it loads the code table, imports the
# county, township and village outlines with all their checks, imports household
# points and barrier lines, partitions all 1,301 villages into grids with unified
# codes, imports field events (GCJ-02) and assigns each to its grid, builds the
# vector tile pyramid, imports the grids' staff and the events' handling, writes
# the report of one street and the audit of the city, takes back a community redrawn
# outside wangge (export, scripted edit, import with checks, history, rollback), and
# summarises.
# Usage: scripts/sample-job.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
mkdir -p "${2:-$root/out}"
out=$(cd "${2:-$root/out}" && pwd)
wangge="$build/tools/wangge"
db="$out/huzhou.sqlite"
rm -f "$db" "$db-wal" "$db-shm"
cd "$out"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "load the statistical division code table (Zhejiang subset shipped in shapefiles/codes)" \
  "$wangge" --db "$db" codes load "$root/shapefiles/codes"
step "import the 5 county outlines of 湖州市" \
  "$wangge" --db "$db" import "$root/shapefiles/huzhou_counties.shp"
step "import the 72 townships/streets (checked against codes and their county)" \
  "$wangge" --db "$db" import "$root/shapefiles/huzhou_townships.shp" --parent-field parent
step "import the 1,301 villages/communities (checked against codes and their township)" \
  "$wangge" --db "$db" import "$root/shapefiles/huzhou_villages.shp" --parent-field parent
step "what the store holds" "$wangge" --db "$db" info
step "a village code, decoded with the code table" "$wangge" --db "$db" codes show 330502001005
step "export the villages of 吴兴区 for QGIS" \
  "$wangge" --db "$db" export villages --prefix 330502 --out "$out/wuxing_villages.gpkg" --overwrite
step "import household points (synthetic: one per building, with a household count)" \
  "$wangge" --db "$db" import households "$root/shapefiles/huzhou_households.shp"
step "import barrier lines (roads, rivers, a railway) that grid edges should follow" \
  "$wangge" --db "$db" import barriers "$root/shapefiles/huzhou_barriers.shp"
step "partition every village/community into full-function grids (全科网格); a school, a hospital and a market become dedicated grids (专属网格)" \
  "$wangge" --db "$db" partition --dedicated "$root/shapefiles/huzhou_dedicated.geojson" --report "$out/partition_report.csv"
step "the grids of one community, with their unified and BeiDou codes" \
  "$wangge" --db "$db" grids list --village 330502001005
step "one grid in full" "$wangge" --db "$db" grids show 330502001005001
step "a grid code decoded" "$wangge" --db "$db" code decode 330502001005002
step "export all grids for QGIS (code, type, households, village/township names)" \
  "$wangge" --db "$db" export grids --out "$out/huzhou_grids.gpkg" --overwrite
step "import field events reported in GCJ-02 (AMap/WeChat), with bad rows and points outside every grid" \
  "$wangge" --db "$db" events import "$root/shapefiles/huzhou_events_gcj02.csv" --crs gcj02 \
  --rejects "$out/events_rejects.csv"
step "events per platform in 吴兴区" "$wangge" --db "$db" events summary --prefix 330502
step "which grid holds a point reported in GCJ-02" "$wangge" --db "$db" locate 120.2236 30.8827 --crs gcj02
step "batch audit: code every event of a file by its grid, CSV to CSV, nothing stored" \
  "$wangge" --db "$db" assign --in "$root/shapefiles/huzhou_events_gcj02.csv" --out "$out/events_coded.csv" \
  --crs gcj02 --nearest --overwrite
step "import the grids' staff (synthetic register: 网格长, 网格员, 网格指导员; names and phones stay in the store)" \
  "$wangge" --db "$db" import staff "$root/shapefiles/staff_sample.csv"
step "one grid with its staff roles (names only with --with-names, phones never)" \
  "$wangge" --db "$db" grids show 330502001005001
step "import the events again with their handling (status, closing time and level, department, handler)" \
  "$wangge" --db "$db" events import "$root/shapefiles/events_handling_sample.csv" --crs gcj02 \
  --rejects "$out/events_handling_rejects.csv"
step "the report of one street (八里店镇): coverage, size, staffing, events, assessment, changes; HTML with a map, A4 PDF, JSON, CSV" \
  "$wangge" --db "$db" report --street 八里店镇 --out "$out/report_bailidian" --overwrite
# exit code 4: the audit found a kind --fail-on names (the sample's county outlines of
# 长兴县 and 安吉县 overlap by 1.5 ha: a real defect, listed in coverage.csv)
audit_rc=0
step "audit every township of 湖州市 in parallel (exit code 4 when a gap or an overlap is found)" \
  "$wangge" --db "$db" audit --city 3305 --out "$out/audit_3305" --fail-on gaps,overlaps || audit_rc=$?
[ "$audit_rc" -eq 0 ] || [ "$audit_rc" -eq 4 ] || exit "$audit_rc"
echo "(audit exit code $audit_rc: 4 means something --fail-on names was found, as a scheduled job would alert on)"
# The redraw workflow: a GIS user exports one community, redraws it (here ogr2ogr with
# SQL stands in for QGIS: grid 004 split along a line, grid 002 merged into 005),
# and hands the GeoPackage back; wangge checks it, keeps the codes that still stand,
# gives the new grid the next serial, retires the merged code, moves the events, and
# records a version that can be rolled back.
v=330502001005
step "export one community (浮星桥社区) for editing in QGIS: grids with version and checksum, the village outline, QGIS styles" \
  "$wangge" --db "$db" export grids --village "$v" --out "$out/edit_$v.gpkg" --overwrite
box="BuildMbr(MbrMinX(geom) - 1, MbrMinY(geom) - 1, MbrMinX(geom) + 0.4 * (MbrMaxX(geom) - MbrMinX(geom)), MbrMaxY(geom) + 1, 4490)"
cols="code, village, version, checksum, type, name"
rm -f "$out/edited_$v.gpkg"
step "the edit, scripted: split grid ${v}004, merge ${v}002 into ${v}005" \
  ogr2ogr -f GPKG "$out/edited_$v.gpkg" "$out/edit_$v.gpkg" -nln grids -nlt MULTIPOLYGON -dialect SQLite -sql \
  "SELECT $cols, geom FROM grids WHERE code NOT IN ('${v}002', '${v}004', '${v}005')
   UNION ALL SELECT $cols, (SELECT ST_Union(geom) FROM grids WHERE code IN ('${v}002', '${v}005')) FROM grids WHERE code = '${v}005'
   UNION ALL SELECT $cols, ST_Intersection(geom, $box) FROM grids WHERE code = '${v}004'
   UNION ALL SELECT $cols, ST_Difference(geom, $box) FROM grids WHERE code = '${v}004'"
step "check the edit and show what it would change (nothing written)" \
  "$wangge" --db "$db" import edits "$out/edited_$v.gpkg" --dry-run
step "import the edit: codes kept by area, a new serial for the new grid, the merged code retired, events follow" \
  "$wangge" --db "$db" import edits "$out/edited_$v.gpkg" --author "样例 sample" --message "split 004, merge 002 into 005"
step "the history of the community: every partition run, edit and rollback is a version" \
  "$wangge" --db "$db" history --village "$v"
edit_version=$("$wangge" --db "$db" history --village "$v" | awk '$3 == "edit" {n = $1} END {print n}')
step "the edit grid by grid" "$wangge" --db "$db" history show "$edit_version"
step "roll the edit back (a new version: the grids and events as before, the new code retired for good)" \
  "$wangge" --db "$db" rollback "$edit_version" --message "sample: undo the demonstration edit"
step "another department's grid system beside the unified grids (多网合一): here the villages of 吴兴区 stand in for an older 综治 network, one grid a village" \
  "$wangge" --db "$db" import network 综治 "$out/wuxing_villages.gpkg" --code-field code --name-field name
step "the networks in the store (each delivery of a network is its next version)" "$wangge" --db "$db" networks list
step "the crosswalk of that network against the unified grids: per old grid its unified grids, shares and class" \
  "$wangge" --db "$db" networks crosswalk 综治 --county 330502 --out "$out/crosswalk_zz.csv" --overwrite
step "vector tiles z0-16 of counties, townships, villages, grids, their label points and events (PMTiles, gap-free, valid polygons, every point in one tile)" \
  "$wangge" --db "$db" tiles build --out "$out/huzhou.pmtiles" --overwrite
step "what the store holds now" "$wangge" --db "$db" info
printf '\nDone. The store is %s (open it in QGIS, or: ogrinfo %s);\n' "$db" "$db"
printf 'grids are in %s, the per-village report in %s,\n' "$out/huzhou_grids.gpkg" "$out/partition_report.csv"
printf 'rejected event rows in %s, the coded events in %s,\n' "$out/events_rejects.csv" "$out/events_coded.csv"
printf 'the map tiles in %s,\n' "$out/huzhou.pmtiles"
printf 'the report of 八里店镇 in %s (report.html, report.pdf, report.json, tables/),\n' "$out/report_bailidian"
printf 'the audit of 湖州市 in %s (index.html links every township'"'"'s report; summary.csv).\n' "$out/audit_3305"
printf '\nOpen the map (grids, boundaries, labels, events; search, click a grid, locate):\n'
printf '  %s --db %s serve %s\n' "$wangge" "$db" "$out/huzhou.pmtiles"
printf 'then http://127.0.0.1:8080/ in a browser (everything is served by wangge; no internet needed).\n'

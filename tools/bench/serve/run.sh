#!/usr/bin/env bash
# Serve benchmark (issue 16 items 2 and 6): `wangge serve` against nginx serving the same
# tiles as static files, on loopback, same run, same machine, same client (wrk 4.1 with
# urls.lua, Accept-Encoding: gzip, --latency).
#   layers  the HTTP layer alone: one fixed gzip tile (the sample's tile nearest the mean
#           size of the random URLs) from a minimal Boost.Beast/Asio server (two thread
#           layouts: one shared io_context as `wangge serve`, or one per thread), a
#           minimal libmicrohttpd server and nginx, same body and headers;
#           LAYER_DURATION s per point.
#   archive random z10-16 tiles of the sample (urls.txt: a zoom drawn uniformly, then one
#           of its tiles) from `wangge serve huzhou.pmtiles` and from nginx serving the
#           archive's tiles as files z/x/y.mvt (gzip bytes as stored, Content-Encoding:
#           gzip, Content-Type application/vnd.mapbox-vector-tile); DURATION s per point.
#   store   tiles made on demand from the store (`wangge serve --db huzhou.sqlite`, no
#           archive): cold (a fresh server per point, every z10-16 tile once in shuffled
#           order, urls_all.txt, so no tile is asked twice) and cached (after a warm pass
#           over every distinct tile of urls.txt, timed, the same random run as archive).
#   slow    SLOW_N connections that send a request one byte a second (slow_clients.py,
#           reconnecting when closed, so SLOW_N stay up) while wrk measures normal
#           requests at SLOW_CONNS connections: wrk before, during and after, and when
#           and how the server closes the slow connections.
# Every point: connections CONNS (16 64 256), wrk threads WRK_THREADS (2); the server's
# RSS (VmRSS of the server, for nginx master + workers) and open descriptors sampled
# each second (first/min/max/last), its CPU time per request (utime+stime), the load
# average at the start and end. Nothing is pinned: on a 2-core machine wrk, the server
# and whatever else runs compete for the cores (read CPU per request beside requests/s).
#
# Usage: tools/bench/serve/run.sh [BUILD_DIR]
# Env: DURATION (60), STORE_DURATION (DURATION), LAYER_DURATION (15), CONNS ("16 64 256"), PARTS ("layers archive
#      store slow"), WORK (/tmp/wangge-bench-serve), PORT (18480, +1 +2 used too),
#      WRK_THREADS (2), NGINX_WORKERS (2), SLOW_N (500), SLOW_DURATION (45),
#      SLOW_CONNS (64), SLOW_WRK (20), NGINX_HEADER_TIMEOUT (15s: wangge serve's
#      default --idle-timeout-s; nginx's own default is 60s),
#      SERVE_ARGS (extra options of wangge serve), WARM_TIMEOUT (600), SAMPLE_FRESH=1,
#      SKIP_BUILD=1 (use the binaries as built).
# Prints a Markdown report; it and every wrk output, server log and sample are in $WORK.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/tools/bench/serve"
build=$(cd "${1:-$root/build}" && pwd)
WORK="${WORK:-/tmp/wangge-bench-serve}"
DURATION="${DURATION:-60}"
STORE_DURATION="${STORE_DURATION:-$DURATION}"
LAYER_DURATION="${LAYER_DURATION:-15}"
CONNS="${CONNS:-16 64 256}"
PARTS="${PARTS:-layers archive store slow}"
PORT="${PORT:-18480}"
WRK_THREADS="${WRK_THREADS:-2}"
NGINX_WORKERS="${NGINX_WORKERS:-2}"
SLOW_N="${SLOW_N:-500}"
SLOW_DURATION="${SLOW_DURATION:-45}"
SLOW_CONNS="${SLOW_CONNS:-64}"
SLOW_WRK="${SLOW_WRK:-20}"
NGINX_HEADER_TIMEOUT="${NGINX_HEADER_TIMEOUT:-15s}"
WARM_TIMEOUT="${WARM_TIMEOUT:-600}"
read -r -a SERVE_EXTRA <<< "${SERVE_ARGS:-}"
export WRK_THREADS
log() { printf '[serve-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

# --- prerequisites (Debian 12): install only what is missing ------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((SLOW_N + 600)) ] \
  || log "warning: open files limit $(ulimit -n) < SLOW_N + 600"

# --- build: wangge and the programs of tools/bench/serve (CMakeLists.txt here) ------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  targets=(wangge_cli serve_bench_tiles serve_bench_beast)
  help=$(cmake --build "$build" --target help 2>/dev/null || true)
  grep -q serve_bench_tiles <<<"$help" \
    || die "no target serve_bench_tiles in $build: add_subdirectory(bench/serve) in tools/CMakeLists.txt, configure"
  grep -q serve_bench_mhd <<<"$help" && targets+=(serve_bench_mhd)
  log "building ${targets[*]} in $build"
  cmake --build "$build" -j2 --target "${targets[@]}" >"$WORK.build.log" 2>&1 \
    || { tail -30 "$WORK.build.log" >&2; die "build failed (log $WORK.build.log)"; }
fi
bin() {  # the binary NAME of the build (tools/bench/serve/ when added from tools/, else top)
  local b
  for b in "$build/tools/bench/serve/$1" "$build/$1"; do [ -x "$b" ] && { echo "$b"; return; }; done
  echo ""
}
wangge="$build/tools/wangge"
tiles_bin=$(bin serve_bench_tiles)
beast_bin=$(bin serve_bench_beast)
mhd_bin=$(bin serve_bench_mhd)
if [ -z "$tiles_bin" ] || [ -z "$beast_bin" ]; then die "serve_bench_tiles or serve_bench_beast missing in $build"; fi
if [ ! -x "$wangge" ] && [ "$PARTS" != layers ]; then die "no $wangge"; fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
rm -f "$WORK"/results.tsv "$WORK"/*.wrk "$WORK"/*.rss "$WORK"/slow.*.json "$WORK"/warm.* "$WORK"/notes.txt
touch "$WORK/notes.txt"
note() { echo "$*" >>"$WORK/notes.txt"; log "$*"; }

# --- the sample: store and archive (scripts/sample-job.sh) -------------------------
sample="$WORK/sample"
archive="$sample/huzhou.pmtiles"
store="$sample/huzhou.sqlite"
if [ "${SAMPLE_FRESH:-0}" = 1 ] || [ ! -s "$archive" ] || [ ! -s "$store" ]; then
  log "building the sample (scripts/sample-job.sh) in $sample"
  bash "$root/scripts/sample-job.sh" "$build" "$sample" >"$WORK/sample-job.log" 2>&1 \
    || { tail -20 "$WORK/sample-job.log" >&2; die "sample job failed"; }
fi
static="$WORK/static"
if [ ! -f "$static/.from" ] || [ "$(cat "$static/.from")" != "$(stat -c %Y-%s "$archive")" ]; then
  log "writing the archive's tiles as static files in $static"
  rm -rf "$static"
  "$tiles_bin" "$archive" "$static/tiles/huzhou" "$WORK/urls.txt" --name huzhou --count 10000 \
    --all "$WORK/urls_all.txt" --one "$static/one.mvt" >"$WORK/tiles.txt"
  stat -c %Y-%s "$archive" >"$static/.from"
fi
echo "/one.mvt" >"$WORK/urls_one.txt"
sort -u "$WORK/urls.txt" | shuf --random-source=<(yes) >"$WORK/urls_uniq.txt"

# --- servers -------------------------------------------------------------------------
SPID=
wait_port() {  # PORT PID: until something answers HTTP there (or the process died)
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
STARTED=()  # every server started, stopped on exit (also when the script fails)
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap "exit 130" INT TERM
start_server() {  # TAG PORT CMD...: starts it in the background, sets SPID
  local tag=$1 port=$2; shift 2
  "$@" >"$WORK/server.$tag.log" 2>&1 &
  SPID=$!
  STARTED+=("$SPID")
  wait_port "$port" "$SPID" || { tail -20 "$WORK/server.$tag.log" >&2; die "$tag did not start on port $port"; }
  log "$tag up (pid $SPID, port $port)"
}
stop_server() {  # PID: SIGTERM, then wait up to 10 s (then SIGKILL)
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid still up 10 s after SIGTERM: SIGKILL"; kill -KILL "$pid"; }
  wait "$pid" 2>/dev/null || true
}
nginx_prefix="$WORK/nginx"
nginx_conf() {
  mkdir -p "$nginx_prefix"
  sed -e "s|@PREFIX@|$nginx_prefix|g" -e "s|@PORT@|$PORT|g" -e "s|@ROOT@|$static|g" \
    -e "s|@WORKERS@|$NGINX_WORKERS|g" -e "s|@HEADER_TIMEOUT@|$NGINX_HEADER_TIMEOUT|g" \
    "$here/nginx.conf.in" >"$nginx_prefix/nginx.conf"
}
start_nginx() {
  nginx_conf
  start_server nginx "$PORT" nginx -p "$nginx_prefix" -e "$nginx_prefix/error.log" -c "$nginx_prefix/nginx.conf" \
    -g 'daemon off;'
}
pids_of() {  # PID and its children (nginx workers)
  echo "$1"
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}
cpu_ticks() {  # utime+stime of PID and its children, in clock ticks
  local t=0 p s
  for p in $(pids_of "$1"); do
    s=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + ${s:-0}))
  done
  echo "$t"
}
sampler() {  # PID OUT: each second "rss_kB fds" of PID and its children, while it runs
  local pid=$1 out=$2 p r f rss fds
  while kill -0 "$pid" 2>/dev/null; do
    rss=0; fds=0
    for p in $(pids_of "$pid"); do
      r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
      f=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
      rss=$((rss + ${r:-0})); fds=$((fds + f))
    done
    echo "$rss $fds" >>"$out"
    sleep 1
  done
}
check_tile() {  # TAG PORT: a tile as the client gets it: status, headers, the same bytes as stored
  local tag=$1 port=$2 u
  u=$(head -1 "$WORK/urls.txt")
  curl -s -D "$WORK/headers.$tag.txt" -H 'Accept-Encoding: gzip' -o "$WORK/check.$tag.mvt" "http://127.0.0.1:$port$u"
  tr -d '\r' <"$WORK/headers.$tag.txt" | grep -qi '^content-encoding: gzip' || note "$tag: $u sent without Content-Encoding: gzip"
  head -1 "$WORK/headers.$tag.txt" | grep -q ' 200' || note "$tag: $u answered $(head -1 "$WORK/headers.$tag.txt")"
  cmp -s "$WORK/check.$tag.mvt" "$static$u" || note "$tag: $u is not the archive's stored bytes"
}

# --- one wrk point ---------------------------------------------------------------------
# point PART SERVER CONNS SECONDS LIST MODE PID PORT -> a line of results.tsv
printf 'part\tserver\tconns\tseconds\trequests\trps\tp50_ms\tp90_ms\tp99_ms\tmax_ms\terrors\tnon2xx\trss_first_mb\trss_min_mb\trss_max_mb\trss_last_mb\tfds_max\tcpu_us_per_req\tload_start\tload_end\n' \
  >"$WORK/results.tsv"
point() {
  local part=$1 server=$2 c=$3 d=$4 list=$5 mode=$6 pid=$7 port=$8
  local tag="$part.$server.c$c" l0 l1 cpu0 cpu1 spid line
  l0=$(cut -d' ' -f1 /proc/loadavg)
  rm -f "$WORK/$tag.rss"
  sampler "$pid" "$WORK/$tag.rss" &
  spid=$!
  cpu0=$(cpu_ticks "$pid")
  wrk -t"$WRK_THREADS" -c"$c" -d"${d}s" --latency --timeout 10s -s "$here/urls.lua" "http://127.0.0.1:$port" \
    -- "$list" "$mode" >"$WORK/$tag.wrk" 2>&1 || log "wrk exited $? on $tag"
  cpu1=$(cpu_ticks "$pid")
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
  l1=$(cut -d' ' -f1 /proc/loadavg)
  line=$(grep '^RESULT' "$WORK/$tag.wrk" || true)
  [ -n "$line" ] || { log "no result from wrk on $tag:"; cat "$WORK/$tag.wrk" >&2; line="RESULT requests=0"; }
  local non2xx
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$WORK/$tag.wrk"); non2xx=${non2xx:-0}
  awk -v part="$part" -v server="$server" -v c="$c" -v l0="$l0" -v l1="$l1" -v non2xx="$non2xx" \
    -v cpu="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v line="$line" -v rssf="$WORK/$tag.rss" 'BEGIN {
      n = split(line, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], p, "="); r[p[1]] = p[2] }
      first = ""; min = 1e18; max = 0; last = 0; fmax = 0
      while ((getline s < rssf) > 0) { split(s, q, " "); v = q[1] / 1024
        if (first == "") first = v; if (v < min) min = v; if (v > max) max = v; last = v; if (q[2] > fmax) fmax = q[2] }
      if (first == "") { first = 0; min = 0 }
      err = r["connect"] + r["read"] + r["write"] + r["timeout"]
      cpr = r["requests"] > 0 ? cpu / hz * 1e6 / r["requests"] : 0
      printf "%s\t%s\t%d\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.1f\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%.0f\t%s\t%s\n",
        part, server, c, r["seconds"], r["requests"], r["rps"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"],
        err, non2xx, first, min, max, last, fmax, cpr, l0, l1 }' >>"$WORK/results.tsv"
  log "$(tail -1 "$WORK/results.tsv" | awk -F'\t' '{printf "%s %s c=%s: %s req/s, p50 %s ms, p99 %s ms, errors %s, non-2xx %s, RSS %s-%s MB, %s us CPU/req, load %s -> %s", $1, $2, $3, $6, $7, $9, $11, $12, $14, $15, $18, $19, $20}')"
}

# --- 1. the HTTP layer alone ------------------------------------------------------------
if has_part layers; then
  log "part layers: one tile ($(stat -c %s "$static/one.mvt") bytes), $LAYER_DURATION s per point"
  start_nginx; nginx_pid=$SPID
  start_server beast $((PORT + 1)) "$beast_bin" $((PORT + 1)) "$static/one.mvt" 2 shared; beast_pid=$SPID
  start_server beast-pt $((PORT + 3)) "$beast_bin" $((PORT + 3)) "$static/one.mvt" 2 per-thread; beastpt_pid=$SPID
  mhd_pid=
  if [ -n "$mhd_bin" ]; then
    start_server mhd $((PORT + 2)) "$mhd_bin" $((PORT + 2)) "$static/one.mvt" 2; mhd_pid=$SPID
  else note "libmicrohttpd not found: no serve_bench_mhd"; fi
  for t in nginx:$PORT beast:$((PORT + 1)) beast-pt:$((PORT + 3)) ${mhd_pid:+mhd:$((PORT + 2))}; do
    curl -s -D "$WORK/headers.layer.${t%%:*}.txt" -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:${t#*:}/one.mvt"
  done
  for c in $CONNS; do
    point layers beast "$c" "$LAYER_DURATION" "$WORK/urls_one.txt" random "$beast_pid" $((PORT + 1))
    point layers beast-per-thread "$c" "$LAYER_DURATION" "$WORK/urls_one.txt" random "$beastpt_pid" $((PORT + 3))
    [ -z "$mhd_pid" ] || point layers libmicrohttpd "$c" "$LAYER_DURATION" "$WORK/urls_one.txt" random "$mhd_pid" $((PORT + 2))
    point layers nginx "$c" "$LAYER_DURATION" "$WORK/urls_one.txt" random "$nginx_pid" "$PORT"
  done
  stop_server "$beast_pid"; stop_server "$beastpt_pid"; [ -z "$mhd_pid" ] || stop_server "$mhd_pid"; stop_server "$nginx_pid"
fi

# -q: no access log (nginx runs with access_log off); CORS for any origin, as nginx sends
serve_args=(serve --bind 127.0.0.1 --cors-origin '*' "${SERVE_EXTRA[@]}")
serve_cmd=("$wangge" -q "${serve_args[@]}")

# --- 2. archive tiles: wangge serve against nginx ----------------------------------------
if has_part archive; then
  log "part archive: $(wc -l <"$WORK/urls.txt") random z10-16 URLs ($(wc -l <"$WORK/urls_uniq.txt") distinct), $DURATION s per point"
  echo "${serve_cmd[*]} --port $((PORT + 1)) $archive" >"$WORK/cmd.archive.txt"
  # both up at once (nginx on PORT, wangge on PORT+1), each connection count on nginx then
  # on wangge, so that both see the same machine; each server stays up for all counts
  start_nginx; nginx_pid=$SPID; check_tile nginx "$PORT"
  wport=$((PORT + 1))
  start_server wangge "$wport" "${serve_cmd[@]}" --port "$wport" "$archive"; wpid=$SPID; check_tile wangge "$wport"
  for c in $CONNS; do
    point archive nginx "$c" "$DURATION" "$WORK/urls.txt" random "$nginx_pid" "$PORT"
    point archive wangge "$c" "$DURATION" "$WORK/urls.txt" random "$wpid" "$wport"
  done
  stop_server "$wpid"; stop_server "$nginx_pid"
fi

# --- 3. tiles made on demand from the store -----------------------------------------------
if has_part store; then
  log "part store: wangge serve --db (no archive), cold and cached, $STORE_DURATION s per point"
  store_cmd=("$wangge" -q --db "$store" "${serve_args[@]}")
  echo "${store_cmd[*]} --port $PORT" >"$WORK/cmd.store.txt"
  "${store_cmd[@]}" --port "$PORT" >"$WORK/server.store-probe.log" 2>&1 &
  probe=$!
  STARTED+=("$probe")
  if wait_port "$PORT" "$probe" && curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' \
      "http://127.0.0.1:$PORT$(head -1 "$WORK/urls.txt")" | grep -q 200; then
    check_tile store "$PORT"
    stop_server "$probe"
    for c in $CONNS; do
      start_server store-cold "$PORT" "${store_cmd[@]}" --port "$PORT"
      point store-cold wangge-db "$c" "$STORE_DURATION" "$WORK/urls_all.txt" sequential "$SPID" "$PORT"
      stop_server "$SPID"
    done
    start_server store "$PORT" "${store_cmd[@]}" --port "$PORT"; spid_store=$SPID
    log "warm pass: $(wc -l <"$WORK/urls_uniq.txt") distinct tiles, 16 clients (curl)"
    l0=$(cut -d' ' -f1 /proc/loadavg); t0=$(date +%s.%N)
    # 16 curl processes, each on one keep-alive connection through its share of the list
    rm -f "$WORK"/warm.cfg.*
    awk -v p="$PORT" -v d="$WORK" '{ printf "url = \"http://127.0.0.1:%s%s\"\noutput = \"/dev/null\"\n", p, $0 >> (d "/warm.cfg." (NR % 16)) }' \
      "$WORK/urls_uniq.txt"
    warm_pids=()
    for f in "$WORK"/warm.cfg.*; do
      timeout "$WARM_TIMEOUT" curl -s -H 'Accept-Encoding: gzip' -w '%{http_code} %{time_total}\n' -K "$f" \
        >"$f.times" 2>/dev/null &
      warm_pids+=($!)
    done
    for p in "${warm_pids[@]}"; do wait "$p" || note "a warm pass client ended with $? (timeout $WARM_TIMEOUT s)"; done
    cat "$WORK"/warm.cfg.*.times >"$WORK/warm.times"
    t1=$(date +%s.%N); l1=$(cut -d' ' -f1 /proc/loadavg)
    python3 - "$WORK/warm.times" "$t0" "$t1" "$l0" "$l1" >"$WORK/warm.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
t = float(sys.argv[3]) - float(sys.argv[2])
s = sorted(float(r[1]) * 1000 for r in rows)
n = len(s)
bad = sum(1 for r in rows if r[0] != "200")
if n:
    print(f"{n} tiles in {t:.1f} s ({n / t:.0f} tiles/s), per tile p50 {s[n // 2]:.1f} ms, p99 {s[min(n - 1, int(n * 0.99))]:.1f} ms, "
          f"max {s[-1]:.1f} ms; {bad} not 200; load {sys.argv[4]} -> {sys.argv[5]}")
else:
    print("no tile answered")
PY
    log "warm pass: $(cat "$WORK/warm.txt")"
    for c in $CONNS; do point store-cached wangge-db "$c" "$STORE_DURATION" "$WORK/urls.txt" random "$spid_store" "$PORT"; done
    stop_server "$spid_store"
  else
    kill -0 "$probe" 2>/dev/null && stop_server "$probe"
    note "store: \`${store_cmd[*]}\` does not serve tiles yet (see $WORK/server.store-probe.log): not measured"
  fi
fi

# --- 4. slow clients ----------------------------------------------------------------------
slow_one() {  # SERVER PID: wrk before, slow clients, wrk during, how the slow ones ended
  local server=$1 pid=$2 sp
  point slow-before "$server" "$SLOW_CONNS" "$SLOW_WRK" "$WORK/urls.txt" random "$pid" "$PORT"
  python3 "$here/slow_clients.py" 127.0.0.1 "$PORT" "$(head -1 "$WORK/urls.txt")" --n "$SLOW_N" \
    --duration "$SLOW_DURATION" --reconnect --json "$WORK/slow.$server.json" >/dev/null 2>"$WORK/slow.$server.log" &
  sp=$!
  sleep 5
  point slow-during "$server" "$SLOW_CONNS" "$SLOW_WRK" "$WORK/urls.txt" random "$pid" "$PORT"
  wait "$sp" || note "slow_clients.py on $server exited $?"
  point slow-after "$server" "$SLOW_CONNS" 5 "$WORK/urls.txt" random "$pid" "$PORT"
}
if has_part slow; then
  log "part slow: $SLOW_N clients at 1 byte/s for $SLOW_DURATION s; wrk $SLOW_CONNS connections $SLOW_WRK s"
  start_server wangge "$PORT" "${serve_cmd[@]}" --port "$PORT" "$archive"; wpid=$SPID
  slow_one wangge "$wpid"; stop_server "$wpid"
  start_nginx; nginx_pid=$SPID
  slow_one nginx "$nginx_pid"; stop_server "$nginx_pid"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------
{
  echo "date:     $(date -u +%Y-%m-%dT%H:%MZ), script took $(( $(date +%s) - t_start )) s"
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
  echo "commit:   $commit$dirty"
  echo "wangge:   $("$wangge" --version 2>&1 | head -1), ${wangge#"$root"/}"
  echo "cores:    nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "load avg: $load_start at the start, $load_end at the end (1/5/15 min)"
  echo "os:       $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "peers:    $(nginx -v 2>&1 | sed 's/nginx version: //') ($NGINX_WORKERS workers), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo -), Boost $(sed -n 's/#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp)"
  echo "client:   wrk -t$WRK_THREADS -c CONNS -d SECONDS --latency -s tools/bench/serve/urls.lua (Accept-Encoding: gzip)"
} >"$WORK/machine.txt"
python3 - "$WORK" <<'PY' | tee "$WORK/report.md"
import csv, json, os, sys
w = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(w, "results.tsv")), delimiter="\t"))
def table(parts, title):
    sel = [r for r in rows if r["part"] in parts]
    if not sel:
        return
    print(f"\n{title}\n")
    print("| part | server | conns | s | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | RSS first/min/max/last MB | fds max | CPU µs/req | load start→end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sel:
        print(f"| {r['part']} | {r['server']} | {r['conns']} | {r['seconds']} | {float(r['rps']):,.0f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} | {r['non2xx']} | {r['rss_first_mb']}/{r['rss_min_mb']}/{r['rss_max_mb']}/{r['rss_last_mb']} | {r['fds_max']} | {r['cpu_us_per_req']} | {r['load_start']}→{r['load_end']} |")
def ratio(part, a, b):
    by = {(r["server"], r["conns"]): r for r in rows if r["part"] == part}
    out = []
    for (s, c), r in by.items():
        if s != a or (b, c) not in by:
            continue
        q = by[(b, c)]
        rr = float(r["rps"]) / max(float(q["rps"]), 1e-9)
        pp = float(r["p99_ms"]) / max(float(q["p99_ms"]), 1e-9)
        cc = float(r["cpu_us_per_req"]) / max(float(q["cpu_us_per_req"]), 1e-9)
        out.append(f"| {c} | {rr:.2f}× | {pp:.2f}× | {cc:.2f}× |")
    if out:
        print(f"\n{a} ÷ {b} ({part}): requests/s (target ≥ 1), p99 (target ≤ 1.5), CPU per request\n")
        print("| conns | requests/s | p99 | CPU µs/req |\n|---|---|---|---|")
        print("\n".join(out))
table({"layers"}, "**HTTP layer alone** (one fixed tile, same body and headers):")
ratio("layers", "beast", "nginx"); ratio("layers", "beast-per-thread", "nginx"); ratio("layers", "libmicrohttpd", "nginx"); ratio("layers", "beast", "libmicrohttpd")
table({"archive"}, "**Random z10-16 tiles of the sample**: `wangge serve huzhou.pmtiles` and nginx on the same tiles as files:")
ratio("archive", "wangge", "nginx")
table({"store-cold", "store-cached"}, "**Tiles made on demand from the store** (`wangge serve --db`, no archive):")
p = os.path.join(w, "warm.txt")
if os.path.exists(p):
    print(f"\nWarm pass before the cached runs (every distinct tile of the URL list once, 16 curl clients): {open(p).read().strip()}")
table({"slow-before", "slow-during", "slow-after"}, "**Slow clients** (normal requests before, during and after the slow connections):")
for s in ("wangge", "nginx"):
    p = os.path.join(w, f"slow.{s}.json")
    if os.path.exists(p):
        d = json.load(open(p))
        print(f"\n- {s}: {d['n']} slow connections ({d['request_bytes']}-byte request, 1 byte/s, {d['duration_s']:.0f} s): "
              f"{d['opened']} connections opened ({d['reconnects']} of them reconnections after a close), {d['connect_failed']} connects failed {d['connect_errors'] or ''}; closed by the server: "
              f"{d['closed_by_server']} (after {d['close_after_s_min']}-{d['close_after_s_max']} s, median {d['close_after_s_p50']} s; "
              f"how {d['how']}; first answer line {d['answers']}); still open at the end: {d['open_at_end']}")
notes = open(os.path.join(w, "notes.txt")).read().strip()
if notes:
    print("\nNotes:\n\n" + "\n".join("- " + l for l in notes.splitlines()))
p = os.path.join(w, "tiles.txt")
if os.path.exists(p):
    print("\nTiles of the sample archive (serve_bench_tiles):\n\n```\n" + open(p).read().strip() + "\n```")
for f in ("cmd.archive.txt", "cmd.store.txt"):
    p = os.path.join(w, f)
    if os.path.exists(p):
        print(f"\n{f[4:-4]} server: `{open(p).read().strip()}`")
print("\n```\n" + open(os.path.join(w, "machine.txt")).read().strip() + "\n```")
PY
log "done in $(( $(date +%s) - t_start )) s; work files in $WORK"

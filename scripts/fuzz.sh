#!/usr/bin/env bash
# Fuzz the readers and parsers with libFuzzer. Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]
#
# Configures a separate clang build in BUILD_DIR (default build-fuzz) with
# -DWANGGE_FUZZ=ON (engine and tiles compiled with -fsanitize=fuzzer-no-link,
# address,undefined; tests and the CLI are not built), builds the targets of
# tests/fuzz, runs each for SECONDS (default 60) on a copy of its seed corpus
# tests/fuzz/corpus/<target>/, one after another, then runs every kept regression
# input of tests/fuzz/regressions/<target>/ once. Prints per target the executions
# done; exits non-zero on any crash, leak, timeout or out-of-memory, naming the
# target and the reproducer. FUZZ_TARGETS="mvt pmtiles" runs only those; JOBS=N
# sets the build's parallelism (default: all cores). Needs clang++ and libFuzzer's
# runtime (Debian 12: packages clang and libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
dir=${2:-build-fuzz}
src=$PWD
all_targets="mvt pmtiles mbtiles csv beidou gridcode"
targets=${FUZZ_TARGETS:-$all_targets}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" -DWANGGE_FUZZ=ON -DWANGGE_BUILD_TESTS=OFF -DWANGGE_SANITIZE=OFF \
  "-DCMAKE_CXX_FLAGS=$san" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
build_targets=()
for t in $targets; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$dir" -j"${JOBS:-$(nproc)}" "${build_targets[@]}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"  # ASan would refuse the leak: lines; LSan reads them
export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
flags=(-timeout=10 -rss_limit_mb=2048)
work="$dir/fuzz-work"
failed=0
summary=()
for t in $targets; do
  bin="$dir/tests/fuzz/fuzz_$t"
  out="$work/$t"
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/artifacts"
  if [ -d "tests/fuzz/corpus/$t" ]; then cp -r "tests/fuzz/corpus/$t/." "$out/corpus/"; fi
  echo "== fuzz_$t: ${seconds} s"
  rc=0
  "$bin" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" >"$out/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]]*DONE.*/\1/p' "$out/log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; log: $out/log" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant)' "$out/log" | head -5 >&2 || true
    for a in "$out"/artifacts/*; do
      [ -e "$a" ] && echo "fuzz_$t: reproducer: $a (run: $bin $a)" >&2
    done
    summary+=("$t: FAILED after ${execs:-?} executions in ${seconds} s")
  else
    summary+=("$t: ${execs:-?} executions in ${seconds} s, no finding")
  fi
  # the inputs of past findings, once each
  shopt -s nullglob
  kept=(tests/fuzz/regressions/"$t"/*)
  shopt -u nullglob
  if [ "${#kept[@]}" -gt 0 ]; then
    rc=0
    "$bin" "${flags[@]}" "${kept[@]}" >"$out/regressions.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      failed=1
      echo "fuzz_$t: a kept regression input fails again (exit $rc); log: $out/regressions.log" >&2
      grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant|Running:)' "$out/regressions.log" | tail -5 >&2 || true
      summary+=("$t: regression inputs FAILED")
    else
      summary+=("$t: ${#kept[@]} regression inputs pass")
    fi
  fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$failed"

#!/usr/bin/env bash
# Quick start, command 2 (and CI): install what is missing, then build and run the
# whole test suite: a normal build with warnings as errors, then a build with
# AddressSanitizer + UndefinedBehaviorSanitizer that runs all but the tests tagged [slow]
# (end-to-end runs of ~10 s or more; the CLI paths they take are run under ASan by the
# faster tests and the fuzzers).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"

echo "== npm validators of tiles/ (@mapbox/vector-tile, pmtiles, mvt-fixtures)"
bash "$root/tiles/js/setup.sh"
echo "== map viewer (tiles/web: MapLibre, pmtiles; style spec and playwright-core for its tests)"
bash "$root/tiles/web/setup.sh"

jobs=$(nproc)
echo "== build (RelWithDebInfo, -Werror)"
"$root/scripts/build.sh" build-test -DWANGGE_WERROR=ON
echo "== tests"
ctest --test-dir build-test --output-on-failure -j"$jobs"

echo "== build (ASan + UBSan)"
"$root/scripts/build.sh" build-asan -DWANGGE_SANITIZE=ON -DWANGGE_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan + UBSan (all but the slow end-to-end tests, which ran above)"
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow

echo "== fuzzing: libFuzzer on the readers and parsers, 60 s per target (clang build)"
"$root/scripts/fuzz.sh" 60 build-fuzz

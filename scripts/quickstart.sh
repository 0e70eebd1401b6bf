#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, run the main job on the sample.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
bash "$root/tiles/web/setup.sh"  # the map viewer that `wangge serve` serves
"$root/scripts/build.sh" "$root/build"
"$root/scripts/sample-job.sh" "$root/build" "$root/out"

#!/usr/bin/env bash
# Install the npm validators of tiles/ (see package.json) into tiles/js/node_modules.
# The C++ tests use them to check wangge's tiles and archives against other people's
# implementations: @mapbox/vector-tile, pmtiles, and @mapbox/mvt-fixtures' test tiles.
# Versions are pinned by package-lock.json; `npm ci` installs exactly those.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
    echo "tiles/js/setup.sh: npm not found (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
else
    npm install --no-audit --no-fund
fi

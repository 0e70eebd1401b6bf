#!/usr/bin/env bash
# Build the offline map viewer into tiles/web/dist/, the files `wangge serve` serves
# at / (--web-root; installed to share/wangge/web by `cmake --install`).
# `npm ci` installs exactly the versions of package-lock.json (MapLibre GL JS, the
# pmtiles client; the style spec validator and playwright-core for the tests); dist/
# is then our own index.html, app.js and app.css beside the library files copied
# from node_modules. No CDN, no bundler: nothing the page loads comes from elsewhere.
# Usage: tiles/web/setup.sh [--no-install]   (--no-install: node_modules as it is)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" != "--no-install" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "tiles/web/setup.sh: npm not found (Debian: apt-get install nodejs npm)" >&2
        exit 1
    fi
    npm ci --no-audit --no-fund
fi
rm -rf dist.tmp
mkdir dist.tmp
cp src/index.html src/app.js src/app.css dist.tmp/
mgl=node_modules/maplibre-gl/dist
# MapLibre 6 is ES modules; .js names so that any static server sends them as
# JavaScript (app.js points MapLibre at its worker). Source map comments are dropped:
# the maps are not shipped, and a browser would ask for them.
for f in maplibre-gl maplibre-gl-worker; do
    sed '/^\/\/# sourceMappingURL=/d' "$mgl/$f.mjs" >"dist.tmp/$f.js"
done
cp "$mgl/maplibre-gl.css" dist.tmp/
sed '/^\/\/# sourceMappingURL=/d' node_modules/pmtiles/dist/pmtiles.js >dist.tmp/pmtiles.js
cp node_modules/maplibre-gl/LICENSE.txt dist.tmp/LICENSE-maplibre-gl.txt
# precompressed copies, sent as they are to browsers that accept gzip (wangge serve,
# nginx's gzip_static)
for f in dist.tmp/*.js dist.tmp/*.css; do gzip -9 -n -k "$f"; done
rm -rf dist
mv dist.tmp dist
echo "tiles/web/dist: $(ls dist | wc -l) files"

#!/usr/bin/env bash
# Install what wangge needs to build, test and run, from Debian 12's packages.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libgdal-dev gdal-bin            # I/O of every vector format; ogrinfo/ogr2ogr for tests
  libgeos-dev                     # geometry (C API geos_c.h)
  libproj-dev proj-bin proj-data  # reprojection
  libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite  # the store
  libboost-dev                    # Boost.Geometry
  catch2                          # tests (Catch2 v2)
  libprotozero-dev                # MVT protobuf
  libcli11-dev nlohmann-json3-dev libfmt-dev
  zlib1g-dev                      # gzip of tiles and archives
  libfreetype-dev fonts-noto-cjk  # glyphs of map labels, served offline (wangge serve)
  chromium                        # the viewer's browser test (playwright-core drives it)
  libcairo2-dev                   # the area report's PDF (cairo's PDF surface; CJK text via fonts-noto-cjk)
  poppler-utils                   # pdftotext/pdftoppm: the report's PDF tests
  clang libclang-rt-dev           # libFuzzer targets of tests/fuzz (scripts/fuzz.sh)
)
# Node.js + npm run the tile validators of tiles/js (tests only). A machine that
# already has node from elsewhere keeps it: Debian's npm would conflict with it.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

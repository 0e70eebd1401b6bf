#!/usr/bin/env bash
# The storage seam: SQL on the store lives only in the store's own files and its
# repositories (engine/src/store/{store,migrations,info,sql}.* and *_repo.cpp).
# Anywhere else in engine/, tiles/ or tools/ this check lists, as file:line, every
#   - call of prepare( / exec( / query_int( / query_text( on a store, through sql:: or
#     with SQL text as argument
#   - use of Statement or sqlite3 types, or an include of "store/sql.hpp" or <sqlite3.h>
#   - SQL text: SELECT ... FROM, INSERT INTO, UPDATE t SET, DELETE FROM, CREATE TABLE,
#     a FROM/JOIN clause on a table, a raw R"sql( string
# and exits 1 (0 when there is none). tiles/src/mbtiles.cpp is exempt: its SQL is on
# its own archive file (an MBTiles), not on the store. Comment lines are ignored.
# Usage: scripts/check-store-sql.sh [REPO_ROOT]
set -euo pipefail
root=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
cd "$root"

allowed() {
    case "$1" in
    engine/src/store/store.cpp | engine/src/store/migrations.cpp | engine/src/store/migrations.hpp | \
        engine/src/store/info.cpp | engine/src/store/sql.hpp | engine/src/store/sql.cpp | \
        engine/src/store/*_repo.cpp | tiles/src/mbtiles.cpp) return 0 ;;
    *) return 1 ;;
    esac
}

calls='(prepare|exec|query_int|query_text)[[:space:]]*\('
# on something named like a store, through sql::, or with SQL text (or a line break) as argument;
# GEOS's and the topology's prepare(geometry) are not the store's
pattern="[A-Za-z_]*[Ss]tore[A-Za-z_]*(\.|->)${calls}|sql::${calls}|(\.|->)${calls}[[:space:]]*(\"|R\"|\$)"
pattern+='|\bStatement\b|(^|[^.A-Za-z_])sqlite3(_stmt)?\b|#include[[:space:]]*["<](store/sql\.hpp|sqlite3\.h)[">]'
pattern+='|\bSELECT\b.*\bFROM\b|\bINSERT([[:space:]]+OR[[:space:]]+[A-Z]+)?[[:space:]]+INTO\b'
pattern+='|\bUPDATE[[:space:]]+[a-z_.]+[[:space:]]+SET\b|\bDELETE[[:space:]]+FROM\b|\bCREATE[[:space:]]+(TEMP[[:space:]]+)?TABLE\b'
pattern+='|\b(FROM|JOIN)[[:space:]]+[a-z_]+\b|R"sql\('

found=0
while IFS= read -r file; do
    allowed "$file" && continue
    # file:line:text of matching lines that are not comments
    hits=$(grep -nE "$pattern" "$file" | grep -vE '^[0-9]+:[[:space:]]*(//|\*|/\*)' || true)
    [ -z "$hits" ] && continue
    while IFS= read -r h; do
        echo "$file:$h"
    done <<<"$hits"
    found=1
done < <(git ls-files -co --exclude-standard -- 'engine/*.cpp' 'engine/*.hpp' 'engine/*.h' 'tiles/*.cpp' \
    'tiles/*.hpp' 'tiles/*.h' 'tools/*.cpp' 'tools/*.hpp' 'tools/*.h' | sort)

if [ "$found" -ne 0 ]; then
    echo "SQL on the store outside engine/src/store (see scripts/check-store-sql.sh): use a repository function" >&2
    exit 1
fi
echo "store SQL only in engine/src/store: ok"

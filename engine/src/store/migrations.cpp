#include "store/migrations.hpp"

#include "wangge/store.hpp"

namespace wangge::store {

namespace {

// Version 1: foundation. SpatiaLite metadata with just the two reference systems
// we use (the full EPSG table would add ~5 MB to every store), the national code
// table, import runs, and jurisdictions with a registered, indexed geometry column.
void v1_foundation(Store& s) {
    if (s.query_int("SELECT count(*) FROM sqlite_master WHERE name='spatial_ref_sys'") == 0) {
        s.exec("SELECT InitSpatialMetadata(0, 'NONE')");
    }
    s.exec("SELECT InsertEpsgSrid(4490) WHERE NOT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid=4490)");
    s.exec("SELECT InsertEpsgSrid(4326) WHERE NOT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid=4326)");
    s.exec(R"sql(
        CREATE TABLE schema_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        );
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT
        );
        -- National statistical division codes (统计用区划代码), all five levels.
        CREATE TABLE division_codes (
            code        TEXT PRIMARY KEY,
            level       TEXT NOT NULL CHECK (level IN ('province','city','county','township','village')),
            name        TEXT NOT NULL,
            parent_code TEXT
        );
        CREATE INDEX division_codes_parent ON division_codes(parent_code);
        -- One row per import run: the anchor for edit history and rollback later.
        CREATE TABLE import_runs (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            source_file TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            options     TEXT,
            imported    INTEGER NOT NULL DEFAULT 0,
            replaced    INTEGER NOT NULL DEFAULT 0,
            rejected    INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE jurisdictions (
            id             INTEGER PRIMARY KEY,
            code           TEXT NOT NULL UNIQUE,
            level          TEXT NOT NULL CHECK (level IN ('county','township','village')),
            name           TEXT NOT NULL,
            parent_code    TEXT,
            source_file    TEXT NOT NULL,
            source_feature INTEGER,
            import_id      INTEGER REFERENCES import_runs(id),
            imported_at    TEXT NOT NULL
        );
        CREATE INDEX jurisdictions_level ON jurisdictions(level, code);
        CREATE INDEX jurisdictions_parent ON jurisdictions(parent_code);
    )sql");
    s.exec("SELECT AddGeometryColumn('jurisdictions', 'geom', 4490, 'MULTIPOLYGON', 'XY', 1)");
    s.exec("SELECT CreateSpatialIndex('jurisdictions', 'geom')");
}

} // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {"foundation: code table, import runs, jurisdictions", v1_foundation},
    };
    return all;
}

} // namespace wangge::store

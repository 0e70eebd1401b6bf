#include <catch2/catch.hpp>
#include <wangge/error.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

TEST_CASE("store: created at the latest schema version, registered for GDAL", "[store]") {
    TempDir dir("store-new");
    const auto db = dir / "s.sqlite";
    {
        Store s(db);
        CHECK(s.schema_version() == Store::latest_schema_version());
        CHECK(sql::query_text(s, "PRAGMA journal_mode") == std::optional<std::string>("wal"));
        CHECK(sql::query_int(
                  s, "SELECT count(*) FROM geometry_columns WHERE f_table_name='jurisdictions' AND srid=4490") == 1);
        CHECK(sql::query_int(s, "SELECT count(*) FROM schema_migrations") == Store::latest_schema_version());
    }
    // reopening applies nothing twice
    Store again(db);
    CHECK(sql::query_int(again, "SELECT count(*) FROM schema_migrations") == Store::latest_schema_version());
    CHECK(feature_count(db, "jurisdictions") == 0);
}

TEST_CASE("store: a transaction not committed leaves nothing", "[store]") {
    TempDir dir("store-tx");
    Store s(dir / "s.sqlite");
    {
        Store::Transaction tx(s);
        sql::exec(s, "INSERT INTO meta(key, value) VALUES ('k', 'v')");
    }
    CHECK(sql::query_int(s, "SELECT count(*) FROM meta WHERE key='k'") == 0);
    {
        Store::Transaction tx(s);
        sql::exec(s, "INSERT INTO meta(key, value) VALUES ('k', 'v')");
        tx.commit();
    }
    CHECK(sql::query_int(s, "SELECT count(*) FROM meta WHERE key='k'") == 1);
}

TEST_CASE("store: clear errors for a missing store, a non-store file and a newer schema", "[store]") {
    TempDir dir("store-errors");
    CHECK_THROWS_WITH(Store(dir / "none.sqlite", Store::Mode::must_exist), Catch::Contains("no store here"));
    write_file(dir / "text.sqlite", "this is not a database, just text that is long enough to look like a header\n");
    CHECK_THROWS_AS(Store(dir / "text.sqlite"), store_error);
    {
        Store s(dir / "new.sqlite");
        sql::exec(s, "PRAGMA user_version = 99");
    }
    CHECK_THROWS_WITH(Store(dir / "new.sqlite"), Catch::Contains("newer than this wangge"));
}

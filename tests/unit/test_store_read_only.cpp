// Store::Mode::read_only: never creates, migrates or writes a store, and reads one on a
// read-only file in a read-only directory.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <wangge/error.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// Names of the files in `dir`, sorted.
std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// A store with one meta row written and closed (so no -wal or -shm is left).
void make_store(const fs::path& db) {
    Store s(db);
    sql::exec(s, "INSERT INTO meta(key, value) VALUES ('probe', 'here')");
}

/// Makes `paths` unwritable for this process for its lifetime: chmod a-w, or, for
/// root (who ignores permissions), the immutable attribute (chattr +i), which stops
/// root too. ok() is false if neither works here.
class Unwritable {
public:
    explicit Unwritable(std::vector<fs::path> paths) : paths_(std::move(paths)) {
        root_ = ::getuid() == 0;
        for (const auto& p : paths_) {
            const std::string cmd =
                root_ ? "chattr +i '" + p.string() + "' 2>/dev/null" : "chmod a-w '" + p.string() + "'";
            ok_ = run_shell(cmd).exit_code == 0 && ok_;
        }
        // Prove it: creating a file in the directory must fail now.
        if (ok_) ok_ = run_shell("touch '" + (paths_.back() / "probe").string() + "' 2>/dev/null").exit_code != 0;
    }
    ~Unwritable() {
        for (const auto& p : paths_)
            run_shell(root_ ? "chattr -i '" + p.string() + "' 2>/dev/null" : "chmod u+w '" + p.string() + "'");
    }
    bool ok() const { return ok_; }

private:
    std::vector<fs::path> paths_;
    bool root_ = false;
    bool ok_ = true;
};

}  // namespace

TEST_CASE("store read-only: a missing, empty or non-database file is not a wangge store, left as it was",
          "[store][read-only]") {
    TempDir dir("store-ro-bad");
    CHECK_THROWS_WITH(Store(dir / "none.sqlite", Store::Mode::read_only), Catch::Contains("not a wangge store"));
    CHECK_FALSE(fs::exists(dir / "none.sqlite"));

    write_file(dir / "empty.sqlite", "");
    CHECK_THROWS_WITH(Store(dir / "empty.sqlite", Store::Mode::read_only), Catch::Contains("not a wangge store"));
    CHECK(fs::file_size(dir / "empty.sqlite") == 0);

    write_file(dir / "text.sqlite", "this is not a database, just text that is long enough to look like a header\n");
    CHECK_THROWS_WITH(Store(dir / "text.sqlite", Store::Mode::read_only), Catch::Contains("not a wangge store"));

    {  // an SQLite database that wangge never made
        Store plain(dir / "plain.sqlite");
        sql::exec(plain, "PRAGMA user_version = 0; DROP TABLE meta");
    }
    const std::string before = read_file(dir / "plain.sqlite");
    CHECK_THROWS_WITH(Store(dir / "plain.sqlite", Store::Mode::read_only), Catch::Contains("not a wangge store"));
    CHECK(read_file(dir / "plain.sqlite") == before);
    CHECK(files_in(dir.path()) == std::vector<std::string>{"empty.sqlite", "plain.sqlite", "text.sqlite"});
}

TEST_CASE("store read-only: reads, refuses writes, and leaves the file's bytes and no side files",
          "[store][read-only]") {
    TempDir dir("store-ro-read");
    const auto db = dir / "s.sqlite";
    make_store(db);
    const std::string before = read_file(db);
    {
        Store s(db, Store::Mode::read_only);
        CHECK(s.read_only());
        CHECK(sql::query_text(s, "SELECT value FROM meta WHERE key='probe'") == std::optional<std::string>("here"));
        CHECK_THROWS_AS(sql::exec(s, "INSERT INTO meta(key, value) VALUES ('x', 'y')"), store_error);
    }
    CHECK(read_file(db) == before);
    CHECK(files_in(dir.path()) == std::vector<std::string>{"s.sqlite"});
}

TEST_CASE("store read-only: an older schema is refused with how to upgrade it, and not migrated",
          "[store][read-only]") {
    TempDir dir("store-ro-old");
    const auto db = dir / "s.sqlite";
    {
        Store s(db);
        sql::exec(s, "PRAGMA user_version = " + std::to_string(Store::latest_schema_version() - 1));
    }
    const std::string before = read_file(db);
    CHECK_THROWS_WITH(Store(db, Store::Mode::read_only),
                      Catch::Contains("is schema version " + std::to_string(Store::latest_schema_version() - 1)) &&
                          Catch::Contains("run any writing command"));
    CHECK(read_file(db) == before);
    const auto newer = dir / "newer.sqlite";
    {
        Store s(newer);
        sql::exec(s, "PRAGMA user_version = 99");
    }
    CHECK_THROWS_WITH(Store(newer, Store::Mode::read_only), Catch::Contains("newer than this wangge"));
}

TEST_CASE("store read-only: a read-only store file in a read-only directory can be read", "[store][read-only]") {
    TempDir dir("store-ro-perm");
    const auto sub = dir / "ro";
    fs::create_directories(sub);
    const auto db = sub / "s.sqlite";
    make_store(db);
    const std::string before = read_file(db);
    {
        Unwritable lock({db, sub});
        if (!lock.ok()) {
            WARN("cannot make a file unwritable here (neither chmod nor chattr works): not tested");
            return;
        }
        // A writing open fails here (this is what the reading commands used to do).
        CHECK_THROWS_AS(
            [&] {
                Store w(db, Store::Mode::must_exist);
                sql::exec(w, "INSERT INTO meta(key, value) VALUES ('x', 'y')");
            }(),
            store_error);
        Store s(db, Store::Mode::read_only);
        CHECK(sql::query_text(s, "SELECT value FROM meta WHERE key='probe'") == std::optional<std::string>("here"));
        CHECK(s.schema_version() == Store::latest_schema_version());
    }
    CHECK(read_file(db) == before);
    CHECK(files_in(sub) == std::vector<std::string>{"s.sqlite"});
}

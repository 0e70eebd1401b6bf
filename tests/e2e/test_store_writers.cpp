// A second writer of one store: it waits for the first, says who that is (the
// sidecar file STORE.writer), and fails after --wait with a message in words,
// never SQLite's own text.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <wangge/error.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {
std::string q(const std::string& s) {
    return "'" + s + "'";
}
}  // namespace

TEST_CASE("store writers: a second connection waits, is told who writes, and fails in words", "[store][writers]") {
    TempDir dir("writers-unit");
    const auto db = dir / "s.sqlite";
    Store first(db);
    Store::set_writer_command("wangge partition --township 330502001");
    Store::Transaction tx(first);
    CHECK(fs::exists(db.string() + ".writer"));
    CHECK_THAT(Store::current_writer(db), Catch::Contains("pid " + std::to_string(::getpid()) +
                                                          ": `wangge partition --township 330502001` since "));
    Store::set_wait(0.2);
    {
        Store second(db, Store::Mode::must_exist);
        try {
            Store::Transaction tx2(second);
            FAIL("the second writer got the lock");
        } catch (const busy_error& e) {
            const std::string what = e.what();
            CHECK_THAT(what, Catch::Contains("another wangge process is writing it (pid") &&
                                 Catch::Contains("wangge partition --township 330502001") && Catch::Contains("--wait"));
            CHECK_THAT(what, !Catch::Contains("locked") && !Catch::Contains("BEGIN"));
        }
    }
    Store::set_wait(10);
    tx.commit();
    CHECK_FALSE(fs::exists(db.string() + ".writer"));
}

TEST_CASE("store writers: a writer file of a process that is gone is ignored", "[store][writers]") {
    TempDir dir("writers-stale");
    const auto db = dir / "s.sqlite";
    write_file(db.string() + ".writer", "pid 2147483646\nsince 0\ncommand wangge import x.shp\n");
    CHECK(Store::current_writer(db).empty());
}

TEST_CASE("store messages: a failing statement names the operation in words, not the SQL", "[store][writers]") {
    TempDir dir("writers-words");
    Store s(dir / "s.sqlite");
    sql::exec(s, "INSERT INTO meta(key, value) VALUES ('k', 'v')");
    try {
        sql::exec(s, "INSERT INTO meta(key, value) VALUES ('k', 'w')");
        FAIL("no error");
    } catch (const store_error& e) {
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("adding to meta") && Catch::Contains("already in the store"));
        CHECK_THAT(what, !Catch::Contains("INSERT") && !Catch::Contains("constraint failed") &&
                             !Catch::Contains("store error"));
    }
}

TEST_CASE("store writers: a second wangge process names the first one's command and gives up after --wait",
          "[e2e][store][writers]") {
    TempDir dir("writers-e2e");
    const auto db = (dir / "s.sqlite").string();
    const std::string flag = (dir / "pause.flag").string();
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    // the first pauses inside its write transaction; the second tries to write
    const std::string first = "WANGGE_PAUSE_AT=store:writing WANGGE_PAUSE_FILE=" + q(flag) + " " + q(WANGGE_BIN) +
                              " --db " + q(db) + " codes load " + q((sample_dir() / "codes").string()) + " > " +
                              q((dir / "a.log").string()) + " 2>&1 & a=$!; ";
    const std::string wait =
        "n=0; while [ ! -f " + q(flag) + " ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; ";
    const std::string second = q(WANGGE_BIN) + " --wait 0.3 --db " + q(db) + " codes load " +
                               q((sample_dir() / "codes").string()) + " > " + q((dir / "b.log").string()) +
                               " 2>&1; rb=$?; rm -f " + q(flag) + "; wait $a; ra=$?; echo \"a=$ra b=$rb\"";
    const auto r = run_shell(first + wait + second);
    const std::string b = read_file(dir / "b.log");
    INFO("first: " << read_file(dir / "a.log") << "\nsecond: " << b);
    CHECK_THAT(r.out, Catch::Contains("a=0 b=1"));
    CHECK_THAT(b, Catch::Contains("another wangge process is writing it (pid") && Catch::Contains("codes load") &&
                      Catch::Contains("--wait"));
    CHECK_THAT(b,
               !Catch::Contains("database is locked") && !Catch::Contains("store error") && !Catch::Contains("BEGIN"));
    // the wait is our own (SpatiaLite's init once replaced the handler with its 5 s
    // timeout, which ignored --wait and said nothing): told once, before giving up
    CHECK_THAT(b, Catch::Contains("waiting for another wangge process writing") && Catch::Contains("up to 0.3 s (--wait)"));
    CHECK_FALSE(fs::exists(db + ".writer"));
}

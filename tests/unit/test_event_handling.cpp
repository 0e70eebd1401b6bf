// Event handling columns (issue 17): status, closed time and level, department and
// handler in `events import`, each undefined value rejected with its line; the
// report's reader for_each_event_fact; and a store of schema v4 upgraded to v5 with
// its free-text statuses normalised where they are known words.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <iconv.h>

#include <map>
#include <set>
#include <wangge/events.hpp>
#include <wangge/staff.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

std::string store_copy(const TempDir& dir) {
    fs::copy_file(partitioned_sample_store(), dir / "s.sqlite");
    return (dir / "s.sqlite").string();
}

// positions (GCJ-02) inside grids of the sample
const char* const at_a = "119.8493985,30.9364894";
const char* const at_b = "120.2476623,30.7729615";

std::map<std::string, EventFact> facts(Store& s, const std::string& prefix = "", const std::string& from = "",
                                       const std::string& to = "") {
    std::map<std::string, EventFact> out;
    for_each_event_fact(s, prefix, from, to, [&](const EventFact& f) { out[f.event_id] = f; });
    return out;
}

/// UTF-8 text in GBK (iconv), for a file as an office PC writes it.
std::string to_gbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(utf8.size() * 2 + 16, '\0');
    char* in = const_cast<char*>(utf8.data());
    std::size_t in_left = utf8.size(), out_left = out.size();
    char* o = out.data();
    REQUIRE(iconv(cd, &in, &in_left, &o, &out_left) != static_cast<std::size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return out;
}

}  // namespace

TEST_CASE("handling: a GBK CSV names its handling columns in GBK", "[handling]") {
    TempDir dir("handling-gbk");
    const auto db = store_copy(dir);
    const auto f = dir / "gbk.csv";
    write_file(f, to_gbk(fmt::format("id,type,time,status,办结时间,办结层级,部门,处置人,经度,纬度\n"
                                     "G1,040401,2024-03-01T08:00:00+08:00,已办结,2024-03-01T18:00:00+08:00,社区,"
                                     "街道城管科,W7,{}\n",
                                     at_a)));
    Store s(db);
    EventImportOptions opt;
    opt.file = f;
    opt.crs = chinacrs::Datum::gcj02;
    const auto r = import_events(s, opt);
    INFO((r.first_rejects.empty() ? "" : r.first_rejects.front().reason));
    REQUIRE(r.imported == 1);
    auto all = facts(s);
    CHECK(all["G1"].status == "closed");
    CHECK(all["G1"].closed_level == "village");
    CHECK(all["G1"].closed_at == "2024-03-01T10:00:00Z");
    CHECK(all["G1"].department == "街道城管科");
    CHECK(all["G1"].handler == "W7");
}

TEST_CASE("handling: status and closing level words", "[handling]") {
    CHECK(normalise_event_status("已上报") == std::optional<std::string>("reported"));
    CHECK(normalise_event_status("待受理") == std::optional<std::string>("reported"));
    CHECK(normalise_event_status("已分派") == std::optional<std::string>("dispatched"));
    CHECK(normalise_event_status("In Progress") == std::optional<std::string>("in_progress"));
    CHECK(normalise_event_status(" 办理中 ") == std::optional<std::string>("in_progress"));
    CHECK(normalise_event_status("已结案") == std::optional<std::string>("closed"));
    CHECK(normalise_event_status("CLOSED") == std::optional<std::string>("closed"));
    CHECK(normalise_event_status("已退回") == std::optional<std::string>("returned"));
    CHECK_FALSE(normalise_event_status("挂起"));
    CHECK(normalise_closing_level("社区") == std::optional<std::string>("village"));
    CHECK(normalise_closing_level("街道") == std::optional<std::string>("township"));
    CHECK(normalise_closing_level("区") == std::optional<std::string>("county"));
    CHECK(normalise_closing_level("Department") == std::optional<std::string>("department"));
    CHECK_FALSE(normalise_closing_level("省"));
}

TEST_CASE("handling: events import reads the handling columns and rejects undefined values by line", "[handling]") {
    TempDir dir("handling-import");
    const auto db = store_copy(dir);
    const auto f = dir / "h.csv";
    write_file(f, fmt::format(
                      "id,type,time,status,办结时间,办结层级,承办部门,网格员工号,lon,lat\n"
                      "H1,040401,2024-03-01T08:00:00+08:00,已办结,2024-03-02T09:30:00+08:00,乡镇,城管局,S001,{0}\n"  // 2
                      "H2,040102,2024-03-01T08:00:00+08:00,in progress,,,,S002,{1}\n"                             // 3
                      "H3,040102,2024-03-01T08:00:00+08:00,,2024-03-01T10:00:00+08:00,网格,,,{1}\n"                  // 4: inferred closed
                      "H4,040102,2024-03-01T08:00:00+08:00,挂起,,,,,{0}\n"                                        // 5
                      "H5,040102,2024-03-01T08:00:00+08:00,closed,,省,,,{0}\n"                                    // 6
                      "H6,040102,2024-03-01T08:00:00+08:00,closed,2024-02-28T10:00:00+08:00,,,,{0}\n"             // 7
                      "H7,040102,2024-03-01T08:00:00+08:00,处置中,2024-03-05T10:00:00+08:00,,,,{0}\n"             // 8
                      "H8,040102,2024-03-01T08:00:00+08:00,closed,2024/03/05,,,,{0}\n"                            // 9
                      "H9,040102,2024-03-01T08:00:00+08:00,已退回,,,,,{1}\n"                                      // 10
                      "H10,040102,2024-03-01T08:00:00+08:00,closed,2024-03-03T10:00:00,部门,环保局,,{1}\n",      // 11: assumed zone
                      at_a, at_b));
    Store s(db);
    EventImportOptions opt;
    opt.file = f;
    opt.crs = chinacrs::Datum::gcj02;
    opt.assume_zone = "+08:00";
    const auto r = import_events(s, opt);
    CHECK(r.imported == 5);
    CHECK(r.rejected == 5);
    std::map<std::int64_t, std::string> why;
    for (const auto& x : r.first_rejects) why[x.line] = x.reason;
    CHECK_THAT(why[5], Catch::StartsWith("unknown status '挂起'"));
    CHECK_THAT(why[6], Catch::StartsWith("unknown closing level '省'"));
    CHECK(why[7] == "closed time 2024-02-28T02:00:00Z is before the reported time 2024-03-01T00:00:00Z");
    CHECK(why[8] == "closed time or closing level given, but the status is in_progress (not closed)");
    CHECK_THAT(why[9], Catch::StartsWith("closed time: time '2024/03/05' is not ISO 8601"));
    CHECK(r.rejects_by_reason.at("unknown status") == 1);
    CHECK(r.rejects_by_reason.at("unknown closing level") == 1);
    CHECK(r.rejects_by_reason.at("closed time") == 3);

    auto all = facts(s);
    REQUIRE(all.count("H1"));
    const auto& h1 = all["H1"];
    CHECK(h1.status == "closed");
    CHECK(h1.closed_at == "2024-03-02T01:30:00Z");
    CHECK(h1.closed_level == "township");
    CHECK(h1.department == "城管局");
    CHECK(h1.handler == "S001");
    CHECK(h1.reported_at == "2024-03-01T00:00:00Z");
    CHECK(h1.type_code == "040401");
    CHECK(h1.platform_code == "04");
    CHECK(h1.platform == "便民服务");
    CHECK_FALSE(h1.uncovered);
    CHECK(h1.grid_code.size() == 15);
    CHECK(all["H2"].status == "in_progress");
    CHECK(all["H2"].closed_at.empty());
    CHECK(all["H2"].handler == "S002");
    CHECK(all["H3"].status == "closed");
    CHECK(all["H3"].closed_level == "grid");
    CHECK(all["H9"].status == "returned");
    CHECK(all["H10"].closed_at == "2024-03-03T02:00:00Z");
    CHECK(all["H10"].closed_level == "department");
    CHECK(all.count("H4") == 0);

    // a column named on the command line must be in the file
    opt.handler_field = "处置人工号";
    CHECK_THROWS_WITH(import_events(s, opt), Catch::Contains("no column '处置人工号' (--handler-field)"));
}

TEST_CASE("handling: for_each_event_fact selects by code prefix (or nearest grid) and period, ordered by id",
          "[handling]") {
    TempDir dir("handling-facts");
    const auto db = store_copy(dir);
    Store s(db, Store::Mode::read_only);
    std::vector<EventFact> every;
    for_each_event_fact(s, "", "", "", [&](const EventFact& f) { every.push_back(f); });
    REQUIRE(every.size() > 5000);
    for (std::size_t i = 1; i < every.size(); ++i) CHECK(every[i - 1].event_id < every[i].event_id);
    std::size_t uncovered = 0;
    for (const auto& f : every) uncovered += f.uncovered;
    REQUIRE(uncovered > 0);
    // the sample's statuses came in as 待受理 / 处置中 / 已办结
    std::set<std::string> statuses;
    for (const auto& f : every) statuses.insert(f.status);
    CHECK(statuses == std::set<std::string>{"reported", "in_progress", "closed"});

    for (const std::string prefix : {"330502", "330503001", "3305"}) {
        for (const auto& [from, to] : {std::pair<std::string, std::string>{"", ""},
                                       {"2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z"},
                                       {"2024-07", ""},
                                       {"", "2024-02-01T00:00:00Z"}}) {
            std::vector<std::string> want;
            for (const auto& f : every) {
                const std::string& code = f.uncovered ? f.nearest_grid : f.grid_code;
                if (code.rfind(prefix, 0) != 0) continue;
                if (!from.empty() && f.reported_at < from) continue;
                if (!to.empty() && !(f.reported_at < to)) continue;
                want.push_back(f.event_id);
            }
            std::vector<std::string> got;
            std::size_t got_uncovered = 0;
            for_each_event_fact(s, prefix, from, to, [&](const EventFact& f) {
                got.push_back(f.event_id);
                got_uncovered += f.uncovered;
            });
            INFO(prefix << " [" << from << ", " << to << ")");
            CHECK(got == want);
            if (from.empty() && to.empty()) CHECK_FALSE(got.empty());
            if (prefix == "3305" && from.empty() && to.empty()) CHECK(got_uncovered > 0);
        }
    }
}

TEST_CASE("handling: a store of schema v4 is upgraded: staff table, handling columns, statuses normalised",
          "[handling][staff][store]") {
    TempDir dir("handling-v4");
    const auto db = store_copy(dir);
    {
        // Take the store back to schema v4 as released: without what v5 added, and with
        // the free-text statuses a v4 import stored as written.
        Store s(db);
        REQUIRE(s.schema_version() == 7);
        // what v7 added (networks), then what v6 added (grid history)
        sql::exec(s, "SELECT DropTable(NULL, 'network_grids'); DROP TABLE network_versions; DROP TABLE networks; "
                     "DELETE FROM schema_migrations WHERE version = 7");
        sql::exec(s, "DROP INDEX grids_run; DROP INDEX grids_closed_by; ALTER TABLE grids DROP COLUMN closed_by");
        for (const char* c : {"kind", "author", "message", "source_file"})
            sql::exec(s, fmt::format("ALTER TABLE partition_runs DROP COLUMN {}", c));
        sql::exec(s, "DELETE FROM schema_migrations WHERE version = 6");
        sql::exec(s, "DROP TABLE staff");
        for (const char* c : {"closed_at", "closed_level", "department", "handler"})
            sql::exec(s, fmt::format("ALTER TABLE events DROP COLUMN {}", c));
        sql::exec(s, "DELETE FROM schema_migrations WHERE version = 5; PRAGMA user_version = 4");
        sql::exec(s, "UPDATE events SET status = CASE id % 7 WHEN 0 THEN '待受理' WHEN 1 THEN ' 已办结' "
                     "WHEN 2 THEN 'In Progress' WHEN 3 THEN '已派遣' WHEN 4 THEN '退回' WHEN 5 THEN '挂起中' "
                     "ELSE NULL END");
    }
    std::map<std::string, std::int64_t> want{{"reported", 0}, {"closed", 0}, {"in_progress", 0}, {"dispatched", 0},
                                             {"returned", 0}, {"挂起中", 0}, {"", 0}};
    {
        Store s(db);  // a writer opens it: migrated
        CHECK(s.schema_version() == 7);
        CHECK(Store::latest_schema_version() == 7);
        Statement st(s, "SELECT id % 7, count(*) FROM events GROUP BY 1");
        const char* words[] = {"reported", "closed", "in_progress", "dispatched", "returned", "挂起中", ""};
        while (st.step()) want[words[st.int64(0)]] += st.int64(1);
        CHECK(current_staff(s, "").empty());
        CHECK(sql::query_int(s, "SELECT count(*) FROM events WHERE closed_at IS NOT NULL") == 0);
    }
    for (auto it = want.begin(); it != want.end();) it = it->second == 0 ? want.erase(it) : std::next(it);
    Store s(db, Store::Mode::read_only);
    std::map<std::string, std::int64_t> got;
    for_each_event_fact(s, "", "", "", [&](const EventFact& f) { ++got[f.status]; });
    CHECK(got == want);
}

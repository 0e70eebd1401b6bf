// The tile server's JSON API (serve/api.hpp) on the sample store: a grid's details as
// `wangge grids show` gives them, locating a point in each datum as `wangge locate`
// does, searching codes and names with the ranking and the limit, and the errors.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <wangge/chinacrs.hpp>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include "serve/api.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;
using nlohmann::json;

namespace {

/// The value after `key` on its line of `wangge grids show` / `wangge locate` output.
std::string field(const std::string& out, const std::string& key) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(key + " ")) {
            auto v = line.substr(key.size());
            return v.substr(v.find_first_not_of(' '));
        }
    return {};
}

json body(const tiles::serve::JsonReply& r) {
    return json::parse(r.body);
}

/// The rank of a search result by the documented order (0 exact code .. 4 name contains).
int rank_of(const json& hit, const std::string& q) {
    const std::string code = hit["code"];
    const std::string name = hit["name"].is_null() ? "" : hit["name"].get<std::string>();
    const bool digits = q.find_first_not_of("0123456789") == std::string::npos;
    if (digits && code == q) return 0;
    if (digits && code.starts_with(q)) return 1;
    if (name == q) return 2;
    if (name.starts_with(q)) return 3;
    if (name.find(q) != std::string::npos) return 4;
    return 9;
}

/// The first grid of the village 330502001005 of the sample.
GridRow first_grid(const std::string& db) {
    Store store(db, Store::Mode::read_only);
    return list_grids(store, "330502001005").front();
}

int level_of(const std::string& kind) {
    return kind == "county" ? 0 : kind == "township" ? 1 : kind == "village" ? 2 : 3;
}

/// The results are in the documented order: rank, then level, then code.
void check_order(const json& results, const std::string& q) {
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO(results[i].dump());
        CHECK(rank_of(results[i], q) < 9);
        if (i == 0) continue;
        const auto &a = results[i - 1], &b = results[i];
        const auto ka = std::tuple(rank_of(a, q), level_of(a["kind"]), a["code"].get<std::string>());
        const auto kb = std::tuple(rank_of(b, q), level_of(b["kind"]), b["code"].get<std::string>());
        CHECK(ka < kb);
    }
}

}  // namespace

TEST_CASE("serve api: a grid's details are those of 'wangge grids show'", "[serve][api][slow]") {
    const auto& db = partitioned_sample_store();
    tiles::serve::DataApi api(db);
    const auto grids = [&] {
        Store store(db, Store::Mode::read_only);
        return list_grids(store, "330502001005");
    }();
    REQUIRE(!grids.empty());
    const auto& g = grids.front();
    const auto r = api.grid(g.code);
    REQUIRE(r.status == 200);
    const auto j = body(r);
    const auto cli = run_wangge({"--db", db, "grids", "show", g.code});
    REQUIRE(cli.exit_code == 0);
    CHECK(j["code"] == g.code);
    CHECK(std::to_string(j["households"].get<std::int64_t>()) == field(cli.out, "households"));
    CHECK(j["beidou"] == field(cli.out, "beidou"));
    CHECK(j["village"]["code"].get<std::string>() + " " + j["village"]["name"].get<std::string>() ==
          field(cli.out, "village"));
    CHECK(j["township"]["code"].get<std::string>() + " " + j["township"]["name"].get<std::string>() ==
          field(cli.out, "township"));
    CHECK(j["county"]["code"].get<std::string>() + " " + j["county"]["name"].get<std::string>() ==
          field(cli.out, "county"));
    CHECK_THAT(field(cli.out, "grid"), Catch::Contains(j["type"].get<std::string>()));
    CHECK(j["label"]["lon"].get<double>() == Approx(g.label_lon));
    CHECK(j["label"]["lat"].get<double>() == Approx(g.label_lat));
    const auto bbox = j["bbox"];
    REQUIRE(bbox.size() == 4);
    CHECK(bbox[0] <= g.label_lon);
    CHECK(bbox[2] >= g.label_lon);
    CHECK(bbox[1] <= g.label_lat);
    CHECK(bbox[3] >= g.label_lat);
    REQUIRE(j["events"].is_object());
    std::int64_t total = 0;
    for (const auto& [platform, n] : j["events"].items()) total += n.get<std::int64_t>();
    CHECK(total == j["events_total"].get<std::int64_t>());

    // some grid of the sample has events: its counts per platform sum to them
    std::int64_t all = 0;
    {
        Store store(db, Store::Mode::read_only);
        for (const auto& row : list_grids(store, ""))
            all += body(api.grid(row.code))["events_total"].get<std::int64_t>();
    }
    CHECK(all > 0);

    // errors: JSON with the reason
    const auto unknown = api.grid(g.village_code + "999");
    CHECK(unknown.status == 404);
    CHECK_THAT(body(unknown)["error"].get<std::string>(), Catch::Contains("not in the store"));
    for (const char* bad : {"abc", "33050200100", "", "330502001005001x"}) {
        INFO(bad);
        const auto e = api.grid(bad);
        CHECK(e.status == 400);
        CHECK(body(e).contains("error"));
    }
}

TEST_CASE("serve api: locate a point in each datum as 'wangge locate' does", "[serve][api][slow]") {
    const auto& db = partitioned_sample_store();
    tiles::serve::DataApi api(db);
    const auto g = first_grid(db);
    const double lon = g.label_lon, lat = g.label_lat;  // CGCS2000: inside its grid
    const auto gcj = chinacrs::wgs84_to_gcj02(lon, lat);
    const auto bd = chinacrs::wgs84_to_bd09(lon, lat);
    struct Case {
        std::string crs;
        double lon, lat;
    };
    for (const auto& c : {Case{"", lon, lat}, Case{"wgs84", lon, lat}, Case{"cgcs2000", lon, lat},
                          Case{"gcj02", gcj.lon, gcj.lat}, Case{"bd09", bd.lon, bd.lat}}) {
        INFO(c.crs);
        const auto slon = fmt::format("{:.10f}", c.lon), slat = fmt::format("{:.10f}", c.lat);
        const auto r = api.locate(slon, slat, c.crs);
        REQUIRE(r.status == 200);
        const auto j = body(r);
        CHECK(j["grid"]["code"] == g.code);
        CHECK(j["village"]["code"] == g.village_code);
        CHECK(j["township"]["code"] == g.township_code);
        CHECK(j["county"]["code"] == g.county_code);
        CHECK(j["point"]["lon"].get<double>() == Approx(lon).margin(1e-8));
        CHECK(j["point"]["lat"].get<double>() == Approx(lat).margin(1e-8));
        // the CLI agrees
        const auto cli =
            run_wangge({"--db", db, "locate", slon, slat, "--crs", c.crs.empty() ? std::string("wgs84") : c.crs});
        REQUIRE(cli.exit_code == 0);
        CHECK(field(cli.out, "grid").starts_with(g.code));
        CHECK(j["beidou"] == field(cli.out, "beidou"));
    }
    // in no grid: 404 with the reason, no village, the nearest grid
    const auto far = api.locate("121.9", "29.0", "wgs84");
    CHECK(far.status == 404);
    const auto fj = body(far);
    CHECK_THAT(fj["error"].get<std::string>(), Catch::Contains("in no grid"));
    CHECK(fj["village"].is_null());
    CHECK(fj["grid"].is_null());
    CHECK(fj["nearest"]["distance_m"].get<double>() > 1000);
    // bad numbers, unknown datum
    CHECK(api.locate("abc", "30", "").status == 400);
    CHECK(api.locate("120", "95", "").status == 400);
    CHECK(api.locate("nan", "30", "").status == 400);
    CHECK(api.locate("", "30", "").status == 400);
    const auto crs = api.locate("120", "30", "mars");
    CHECK(crs.status == 400);
    CHECK_THAT(body(crs)["error"].get<std::string>(), Catch::Contains("gcj02"));
}

TEST_CASE("serve api: search codes by prefix and names by part, ranked and limited", "[serve][api]") {
    const auto& db = partitioned_sample_store();
    tiles::serve::DataApi api(db);
    const auto g = first_grid(db);

    SECTION("code prefix") {
        const auto r = api.search(g.county_code, "");
        REQUIRE(r.status == 200);
        const auto j = body(r);
        REQUIRE(j["results"].size() == 10);  // the default limit
        CHECK(j["total"].get<int>() > 10);
        const auto& first = j["results"][0];
        CHECK(first["kind"] == "county");
        CHECK(first["code"] == g.county_code);
        CHECK(first["name"] == g.county_name);
        CHECK(first["bbox"].size() == 4);
        CHECK(first["center"].size() == 2);
        check_order(j["results"], g.county_code);
        // a township's prefix: the township, then its villages, then grids
        const auto t = body(api.search(g.township_code, "50"));
        REQUIRE(t["results"].size() == 50);
        CHECK(t["results"][0]["code"] == g.township_code);
        CHECK(t["results"][1]["kind"] == "village");
        check_order(t["results"], g.township_code);
        for (const auto& h : t["results"]) CHECK(h["code"].get<std::string>().starts_with(g.township_code));
        // a grid's own code: it first, with its parents
        const auto one = body(api.search(g.code, "5"));
        REQUIRE(one["results"].size() == 1);
        CHECK(one["results"][0]["kind"] == "grid");
        const auto parents = one["results"][0]["parents"];
        REQUIRE(parents.size() == 3);
        CHECK(parents[0]["name"] == g.county_name);
        CHECK(parents[1]["name"] == g.township_name);
        CHECK(parents[2]["name"] == g.village_name);
        CHECK(one["results"][0]["center"][0].get<double>() == Approx(g.label_lon));
    }

    SECTION("name") {
        const auto r = api.search(g.village_name, "");
        REQUIRE(r.status == 200);
        const auto j = body(r);
        REQUIRE(!j["results"].empty());
        CHECK(j["results"][0]["kind"] == "village");
        CHECK(j["results"][0]["code"] == g.village_code);
        const auto parents = j["results"][0]["parents"];
        REQUIRE(parents.size() == 2);
        CHECK(parents[0]["code"] == g.county_code);
        CHECK(parents[1]["code"] == g.township_code);
        check_order(j["results"], g.village_name);
        // part of a name (its last character, UTF-8): every hit's name holds it, ranked
        const std::string part = g.village_name.substr(g.village_name.size() - 3);
        const auto p = body(api.search(part, "50"));
        REQUIRE(p["results"].size() > 1);
        check_order(p["results"], part);
        // the limit: at most 50
        CHECK(body(api.search(part, "500"))["results"].size() <= 50);
        CHECK(body(api.search(part, "2"))["results"].size() == 2);
    }

    SECTION("errors") {
        CHECK(api.search("", "").status == 400);
        CHECK(api.search("  ", "").status == 400);
        CHECK(api.search("3305", "0").status == 400);
        CHECK(api.search("3305", "x").status == 400);
        CHECK(api.search("3305", "-1").status == 400);
        CHECK(api.search("\xff\xfe", "").status == 400);
        const auto none = api.search("不存在的地名", "");
        CHECK(none.status == 200);
        CHECK(body(none)["results"].empty());
    }
}

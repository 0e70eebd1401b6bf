// wangge locate
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <wangge/beidou.hpp>
#include <wangge/chinacrs.hpp>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include "cli.hpp"

namespace wangge::cli {

void add_locate(CLI::App& app, Registry& reg) {
    // as text: parse_coordinate gives the rule of a CSV row (not finite, out of range)
    auto lon = std::make_shared<std::string>(), lat = std::make_shared<std::string>();
    auto crs = std::make_shared<std::string>("wgs84");
    auto* l = app.add_subcommand("locate", "Which grid, village, township and county hold a point; its BeiDou code");
    l->add_option("LON", *lon, "Longitude")->required();
    l->add_option("LAT", *lat, "Latitude")->required();
    l->add_option("--crs", *crs, "Datum of the point: wgs84, cgcs2000, gcj02, bd09")->capture_default_str();
    l->callback([&reg, lon, lat, crs] {
        *reg.action = [&reg, lon, lat, crs] {
            const auto datum = chinacrs::parse_datum(*crs);
            double x = 0, y = 0;
            for (const auto& why : {parse_coordinate(*lon, false, x), parse_coordinate(*lat, true, y)})
                if (!why.empty()) throw usage_error(fmt::format("locate: {}", why));
            const auto p = chinacrs::to_cgcs2000(datum, x, y);
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto index = grid_index(store);
            if (datum == chinacrs::Datum::gcj02 || datum == chinacrs::Datum::bd09)
                fmt::print("point       {:.7f} {:.7f} (CGCS2000, from {} {:.7f} {:.7f})\n", p.lon, p.lat,
                           chinacrs::datum_name(datum), x, y);
            else
                fmt::print("point       {:.7f} {:.7f} (CGCS2000)\n", p.lon, p.lat);
            if (std::abs(p.lat) <= 88) fmt::print("beidou      {}\n", beidou::encode(p.lon, p.lat));
            const int g = index.locate(p.lon, p.lat);
            if (g < 0) {
                const auto [n, d] = index.nearest(p.lon, p.lat);
                fmt::print("grid        none: the point is in no grid");
                if (n >= 0) fmt::print(" (nearest {} at {:.0f} m)", index.code(n), d);
                fmt::print("\n");
                return input_rejected;
            }
            const auto rows = grid_history(store, index.code(g));
            const auto& r = rows.front();
            fmt::print("grid        {} ({})\n", r.code, r.type);
            fmt::print("village     {} {}\n", r.village_code, r.village_name);
            fmt::print("township    {} {}\n", r.township_code, r.township_name);
            fmt::print("county      {} {}\n", r.county_code, r.county_name);
            return ok;
        };
    });
}

}  // namespace wangge::cli

// wangge code encode LON LAT | code decode CODE
#include "cli.hpp"

#include <wangge/beidou.hpp>
#include <wangge/codes.hpp>
#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace wangge::cli {

void add_code(CLI::App& app, Registry& reg) {
    auto* code = app.add_subcommand("code", "Encode a point as a BeiDou grid code (GB/T 39409-2020); decode a BeiDou "
                                            "code or a unified grid code");
    code->require_subcommand(1);

    auto lon = std::make_shared<double>();
    auto lat = std::make_shared<double>();
    auto level = std::make_shared<int>(beidou::default_level);
    auto* enc = code->add_subcommand("encode", "BeiDou grid location code (北斗网格位置码) of a CGCS2000 lon/lat point");
    enc->add_option("LON", *lon, "Longitude, degrees")->required();
    enc->add_option("LAT", *lat, "Latitude, degrees")->required();
    enc->add_option("--level", *level, "Level 1-10 (8: cells of 1/32 arc-second, about 1 m)")->capture_default_str();
    enc->callback([&reg, lon, lat, level] {
        *reg.action = [lon, lat, level] {
            const std::string c = beidou::encode(*lon, *lat, *level);
            const auto cell = beidou::decode(c);
            fmt::print("{}\n", c);
            fmt::print("level {} cell {:.9f} {:.9f} .. {:.9f} {:.9f}\n", cell.level, cell.min_lon, cell.min_lat,
                       cell.max_lon, cell.max_lat);
            return ok;
        };
        (void)reg;
    });

    auto text = std::make_shared<std::string>();
    auto* dec = code->add_subcommand("decode", "Decode a BeiDou grid code to its cell, or a 15-digit grid code to its "
                                               "village, township and county (names from the store)");
    dec->add_option("CODE", *text, "BeiDou code (e.g. N50J47539B825534) or grid code (e.g. 330502001005001)")->required();
    dec->callback([&reg, text] {
        *reg.action = [&reg, text] {
            if (beidou::looks_like_code(*text)) {
                const auto c = beidou::decode(*text);
                fmt::print("BeiDou grid code, level {}\n", c.level);
                fmt::print("cell   {:.9f} {:.9f} .. {:.9f} {:.9f} (lon/lat, CGCS2000)\n", c.min_lon, c.min_lat, c.max_lon,
                           c.max_lat);
                fmt::print("centre {:.9f} {:.9f}\n", c.center_lon(), c.center_lat());
                return ok;
            }
            const auto gc = parse_grid_code(*text);
            if (!gc) {
                if (!text->empty() && (text->front() == 'N' || text->front() == 'S')) beidou::decode(*text);  // its message
                throw usage_error(fmt::format("'{}' is neither a BeiDou grid code nor a 15-digit grid code", *text));
            }
            fmt::print("grid code  {}\n", *text);
            fmt::print("serial     {:03d}{}\n", gc->serial, gc->micro ? fmt::format(", micro-grid {:02d}", gc->micro) : "");
            if (!std::filesystem::exists(reg.globals.db)) {
                fmt::print("village    {} (no store: names unknown)\n", gc->village);
                return ok;
            }
            Store store(reg.globals.db, Store::Mode::read_only);
            for (const auto& e : code_chain(store, gc->village))
                fmt::print("{:<10} {} {}\n", level_name(e.level), e.code, e.name);
            const auto h = grid_history(store, text->substr(0, 15));
            if (h.empty()) fmt::print("status     not in the store\n");
            else fmt::print("status     {}\n", h.front().valid_to.empty() ? "current" : "retired " + h.front().valid_to);
            return ok;
        };
    });
}

} // namespace wangge::cli

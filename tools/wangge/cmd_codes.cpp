// wangge codes load DIR | codes show CODE
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <wangge/codes.hpp>
#include <wangge/error.hpp>
#include <wangge/store.hpp>

#include "cli.hpp"

namespace wangge::cli {

void add_codes(CLI::App& app, Registry& reg) {
    auto* codes = app.add_subcommand("codes", "The national table of statistical division codes (统计用区划代码)");
    codes->require_subcommand(1);

    auto dir = std::make_shared<std::string>();
    auto* load = codes->add_subcommand(
        "load", "Load the code table from a directory with provinces.csv, cities.csv, areas.csv, streets.csv and "
                "villages.csv (the china-division layout), replacing the table in the store");
    load->add_option("DIR", *dir, "Directory of the five CSV files")->required();
    load->callback([&reg, dir] {
        *reg.action = [&reg, dir] {
            std::error_code ec;
            if (!std::filesystem::is_directory(*dir, ec))
                throw io_error(
                    fmt::format("{}: {}; give the folder that holds provinces.csv, cities.csv, areas.csv, "
                                "streets.csv and villages.csv",
                                *dir, std::filesystem::exists(*dir, ec) ? "not a folder" : "no such folder"));
            CodeTableLoadReport r;
            with_store_removed_on_failure(reg.globals.db, [&] {
                Store store(reg.globals.db);
                Progress progress(reg.globals);
                r = load_code_table(store, *dir, progress.fn());
                return ok;
            });
            if (!reg.globals.quiet)
                fmt::print("code table loaded from {}: {} provinces, {} cities, {} counties, {} townships, {} "
                           "villages ({} codes) into {}\n",
                           *dir, r.provinces, r.cities, r.counties, r.townships, r.villages, r.total(),
                           reg.globals.db);
            return ok;
        };
    });

    auto code = std::make_shared<std::string>();
    auto* show = codes->add_subcommand("show", "Print the chain province > city > county > township > village of a code");
    show->add_option("CODE", *code, "A division code of 2, 4, 6, 9 or 12 digits")->required();
    show->callback([&reg, code] {
        *reg.action = [&reg, code] {
            Store store(reg.globals.db, Store::Mode::read_only);
            if (code_table_size(store) == 0)
                throw input_error("the code table is empty: load it first with 'wangge codes load DIR'");
            if (code->find_first_not_of("0123456789") != std::string::npos || !level_from_code_length(code->size()))
                throw usage_error(fmt::format("'{}' is not a division code (2, 4, 6, 9 or 12 digits)", *code));
            if (!lookup_code(store, *code))
                throw input_error(fmt::format("code {} is not in the code table", *code));
            for (const auto& e : code_chain(store, *code))
                fmt::print("{:<12}  {:<8}  {}\n", e.code, level_name(e.level), e.name);
            return ok;
        };
    });
}

} // namespace wangge::cli

// The national code table: loaded from the five CSVs of the china-division layout
// with GDAL's CSV driver (all columns as strings, so leading zeros survive).
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>

#include <array>
#include <memory>

#include "io/gdal.hpp"
#include "store/codes_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/codes.hpp"
#include "wangge/error.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace {

using DatasetPtr = gdal::Dataset;

struct CsvSpec {
    const char* file;
    Level level;
};

constexpr std::array<CsvSpec, 5> csv_files = {{
    {"provinces.csv", Level::province},
    {"cities.csv", Level::city},
    {"areas.csv", Level::county},
    {"streets.csv", Level::township},
    {"villages.csv", Level::village},
}};

} // namespace

CodeTableLoadReport load_code_table(Store& store, const std::filesystem::path& dir, const ProgressFn& progress) {
    gdal::init();  // GDAL's messages are kept, never printed
    for (const auto& spec : csv_files) {
        if (!std::filesystem::exists(dir / spec.file))
            throw io_error(fmt::format("{}: missing (a code table directory holds provinces.csv, cities.csv, "
                                       "areas.csv, streets.csv and villages.csv)",
                                       (dir / spec.file).string()));
    }
    CodeTableLoadReport report;
    Store::Transaction tx(store);
    repo::clear_division_codes(store);
    repo::DivisionCodeWriter insert(store);
    for (const auto& spec : csv_files) {
        const auto path = dir / spec.file;
        const char* open_options[] = {"AUTODETECT_TYPE=NO", "HEADERS=YES", nullptr};
        DatasetPtr ds(GDALOpenEx(path.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, open_options,
                                 nullptr));
        if (!ds) throw io_error(fmt::format("{}: cannot read as CSV: {}", path.string(), CPLGetLastErrorMsg()));
        OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        const int code_idx = OGR_FD_GetFieldIndex(defn, "code");
        const int name_idx = OGR_FD_GetFieldIndex(defn, "name");
        if (code_idx < 0 || name_idx < 0)
            throw input_error(fmt::format("{}: expected columns 'code' and 'name'", path.string()));
        const auto total = OGR_L_GetFeatureCount(layer, 1);
        const std::size_t want = level_code_length(spec.level);
        std::int64_t line = 1;  // header
        std::int64_t count = 0;
        OGRFeatureH f;
        OGR_L_ResetReading(layer);
        while ((f = OGR_L_GetNextFeature(layer)) != nullptr) {
            const gdal::Feature guard(f);
            ++line;
            std::string code = OGR_F_GetFieldAsString(f, code_idx);
            std::string name = OGR_F_GetFieldAsString(f, name_idx);
            if (code.size() != want || code.find_first_not_of("0123456789") != std::string::npos)
                throw input_error(fmt::format("{}: line {}: code '{}' is not a {}-digit {} code", path.string(),
                                              line, code, want, level_name(spec.level)));
            if (name.empty())
                throw input_error(fmt::format("{}: line {}: code {} has no name", path.string(), line, code));
            insert.insert({code, std::string(level_name(spec.level)), name, parent_code(code)});
            ++count;
            if (progress && count % 20000 == 0) progress(count, total, spec.file);
        }
        if (progress) progress(count, total, spec.file);
        switch (spec.level) {
        case Level::province: report.provinces = count; break;
        case Level::city: report.cities = count; break;
        case Level::county: report.counties = count; break;
        case Level::township: report.townships = count; break;
        case Level::village: report.villages = count; break;
        }
    }
    repo::set_meta(store, "code_table_source", std::filesystem::absolute(dir).string());
    repo::set_meta(store, "code_table_loaded_at", repo::now_timestamp(store));
    tx.commit();
    return report;
}

std::optional<CodeEntry> lookup_code(Store& store, std::string_view code) {
    auto row = repo::find_division_code(store, code);
    if (!row) return std::nullopt;
    return CodeEntry{std::move(row->code), *level_from_name(row->level), std::move(row->name)};
}

std::vector<CodeEntry> code_chain(Store& store, std::string_view code) {
    std::vector<CodeEntry> chain;
    for (std::size_t len : {2u, 4u, 6u, 9u, 12u}) {
        if (code.size() < len) break;
        if (auto e = lookup_code(store, code.substr(0, len))) chain.push_back(std::move(*e));
    }
    return chain;
}

std::int64_t code_table_size(Store& store) {
    return repo::count_division_codes(store);
}

} // namespace wangge

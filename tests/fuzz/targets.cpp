// The fuzz targets' bodies (see targets.hpp). No libFuzzer here: the fuzz_*.cpp
// files wrap these for libFuzzer, and the unit tests include this file to replay the
// kept regression inputs in the normal build.
#include "targets.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <wangge/beidou.hpp>
#include <wangge/codes.hpp>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/grids.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>

namespace wangge::fuzz {

namespace {

// A broken invariant: report it like a crash, with what was wrong.
[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
    std::abort();
}

// Thrown by callbacks to stop a long walk early (a valid archive may address many
// tiles; the readers' own limits are what is tested, not the callback's patience).
struct Enough {};

// The input as a file the readers open by path; removed again afterwards.
class InputFile {
public:
    InputFile(std::string_view data, const char* ext) {
        path_ = std::filesystem::temp_directory_path() / fmt::format("wangge-fuzz-{}{}", ::getpid(), ext);
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        if (!out) broken("cannot write the input file " + path_.string());
    }
    ~InputFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
        std::filesystem::remove(path_.string() + "-journal", ec);
    }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

template <class Fn>
void expect_rejection_only(Fn&& fn) {
    try {
        fn();
    } catch (const wangge::error&) {
        // a rejected input: what corrupt data must give
    } catch (const Enough&) {
    }
}

}  // namespace

void mvt(std::string_view data) {
    expect_rejection_only([&] {
        const tiles::Tile t = tiles::decode_tile(data);
        for (const auto& l : t.layers)
            for (const auto& f : l.features)
                if (f.properties.size() > l.keys.size() * l.values.size())
                    broken("more properties than key/value pairs");
    });
}

void pmtiles(std::string_view data) {
    // the directory parser on the raw bytes: what it accepts survives a round trip
    expect_rejection_only([&] {
        const auto entries = tiles::parse_directory(data);
        if (tiles::parse_directory(tiles::serialize_directory(entries)) != entries)
            broken("parse_directory(serialize_directory(d)) != d");
    });
    if (data.size() >= 8) {
        std::uint64_t id = 0;
        for (int i = 0; i < 8; ++i) id |= std::uint64_t{static_cast<unsigned char>(data[i])} << (8 * i);
        expect_rejection_only([&] {
            if (tiles::zxy_to_tile_id(tiles::tile_id_to_zxy(id)) != id)
                broken(fmt::format("tile id {} round trip", id));
        });
    }
    // the reader on the bytes as a file
    InputFile file(data, ".pmtiles");
    expect_rejection_only([&] {
        tiles::PmtilesReader r(file.path());
        (void)r.metadata();
    });
    expect_rejection_only([&] {
        tiles::PmtilesReader r(file.path());
        const auto entries = r.tile_entries();
        (void)r.leaf_directory_count();
        std::size_t decoded = 0;
        for (const auto& e : entries) {
            if (decoded++ == 8) break;
            const auto c = tiles::tile_id_to_zxy(e.tile_id);
            expect_rejection_only([&] {
                const auto t = r.tile(c);
                if (!t) broken(fmt::format("tile {} listed but not found", tiles::to_string(c)));
                (void)tiles::decode_tile(*t);
            });
        }
        std::uint64_t n = 0;
        r.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
            tiles::check_tile(c);
            if (++n == 100000) throw Enough{};
        });
    });
}

void mbtiles(std::string_view data) {
    InputFile file(data, ".mbtiles");
    expect_rejection_only([&] {
        tiles::MbtilesReader r(file.path());
        (void)r.metadata();
        (void)r.tile_count();
        (void)r.stored_tile({0, 0, 0});
        std::uint64_t n = 0;
        r.for_each_tile([&](const tiles::TileCoord& c, const std::string& stored) {
            tiles::check_tile(c);
            if (n < 8) expect_rejection_only([&] { (void)tiles::decode_tile(stored); });
            if (++n == 100000) throw Enough{};
        });
    });
}

void csv(std::string_view data) {
    std::vector<std::string> fields;
    std::vector<std::string> again;
    expect_rejection_only([&] {
        CsvReader r(CsvText{std::string(data), "fuzz.csv"});
        const char d = r.delimiter();
        (void)guess_delimiter(r.header_line());
        expect_rejection_only([&] { (void)coordinate_columns(r.header(), "", "", "fuzz.csv"); });
        std::int64_t line = 0, last = 0;
        std::string error;
        while (r.next(fields, line, error)) {
            if (line <= last) broken(fmt::format("record lines not increasing: {} after {}", line, last));
            last = line;
            for (const auto& f : fields) {
                std::string why;
                if (const auto t = parse_iso8601(f, "+08:00", why); t && t->size() != 20)
                    broken("parse_iso8601 gave '" + *t + "'");
                if (f.empty()) continue;
                split_csv_record(csv_quote(f, d), d, again);
                if (again.size() != 1 || again[0] != f) broken("split_csv_record(csv_quote(f)) != f for '" + f + "'");
            }
        }
    });
    expect_rejection_only([&] {
        CsvReader r(CsvText{std::string(data), "fuzz.csv"});
        CsvChunk chunk;
        while (r.read_chunk(chunk, 4096))
            for_each_record(chunk, [&](std::string_view rec, std::int64_t, const std::string&) {
                split_csv_record(rec, r.delimiter(), fields);
            });
    });
}

void beidou(std::string_view data) {
    const std::string_view code = data.substr(0, 64);
    const bool looks = beidou::looks_like_code(code);
    bool decoded = false;
    expect_rejection_only([&] {
        const beidou::Cell c = beidou::decode(code);
        decoded = true;
        if (!(c.min_lon < c.max_lon && c.min_lat < c.max_lat)) broken(fmt::format("empty cell for '{}'", code));
        if (code.size() != beidou::code_length(c.level)) broken(fmt::format("level {} for '{}'", c.level, code));
        const std::string back = beidou::encode(c.center_lon(), c.center_lat(), c.level);
        if (back != code) broken(fmt::format("decode('{}') encodes back as '{}'", code, back));
    });
    if (looks != decoded) broken(fmt::format("looks_like_code('{}') is {}, decode {}", code, looks, decoded));
}

void gridcode(std::string_view data) {
    const std::string_view code = data.substr(0, 64);
    if (const auto g = parse_grid_code(code)) {
        if (make_grid_code(g->village, g->serial) != code.substr(0, 15))
            broken(fmt::format("grid code '{}' is not rebuilt from its parts", code));
        if (g->serial < 1 || g->serial > 999) broken(fmt::format("serial {} of '{}'", g->serial, code));
    }
    const ParsedCode p = parse_division_code(code);
    if (p.ok()) {
        if (p.code.size() != level_code_length(p.level))
            broken(fmt::format("division code '{}' has {} digits at its level", p.code, p.code.size()));
        (void)parent_code(p.code);
    }
    (void)parent_code(code);
}

const std::vector<Target>& targets() {
    static const std::vector<Target> all = {{"mvt", mvt}, {"pmtiles", pmtiles}, {"mbtiles", mbtiles},
                                            {"csv", csv}, {"beidou", beidou},   {"gridcode", gridcode}};
    return all;
}

}  // namespace wangge::fuzz

// Glyph ranges of `wangge serve` (tiles/src/serve/glyphs.cpp): the PBF MapLibre reads
// (decoded here with protozero, as MapLibre's parse_glyph_pbf.ts does), made from
// Debian's Noto Sans CJK, and the signed distance field of tiny-sdf.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <protozero/pbf_reader.hpp>
#include <string>
#include <thread>
#include <vector>
#include <wangge/error.hpp>

#include "serve/glyphs.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;
using wangge::tiles::serve::Glyphs;
namespace glyph_pbf = wangge::tiles::serve::glyph_pbf;

namespace {

struct Glyph {
    std::uint32_t id = 0;
    std::optional<std::string> bitmap;
    std::uint32_t width = 0, height = 0, advance = 0;
    std::int32_t left = 0, top = 0;
    int fields = 0;  // required fields seen (id, width, height, left, top, advance)

    int at(std::uint32_t x, std::uint32_t y) const {
        return static_cast<unsigned char>((*bitmap)[y * (width + 2 * glyph_pbf::border) + x]);
    }
};

struct Stack {
    std::string name, range;
    std::map<std::uint32_t, Glyph> glyphs;
};

// Decodes `pbf` with the schema MapLibre reads; fails on anything else.
std::vector<Stack> decode(const std::string& pbf) {
    std::vector<Stack> stacks;
    protozero::pbf_reader top(pbf);
    while (top.next()) {
        REQUIRE(top.tag() == 1);
        Stack s;
        protozero::pbf_reader st = top.get_message();
        while (st.next()) {
            switch (st.tag()) {
                case 1:
                    s.name = st.get_string();
                    break;
                case 2:
                    s.range = st.get_string();
                    break;
                case 3: {
                    Glyph g;
                    protozero::pbf_reader gr = st.get_message();
                    while (gr.next()) {
                        const auto tag = gr.tag();
                        if (tag == 2) {
                            g.bitmap = gr.get_string();
                            continue;
                        }
                        ++g.fields;
                        if (tag == 5 || tag == 6) {
                            (tag == 5 ? g.left : g.top) = gr.get_sint32();
                            continue;
                        }
                        std::uint32_t* field = tag == 1   ? &g.id
                                               : tag == 3 ? &g.width
                                               : tag == 4 ? &g.height
                                               : tag == 7 ? &g.advance
                                                          : nullptr;
                        INFO("glyph field " << tag);
                        REQUIRE(field != nullptr);
                        *field = gr.get_uint32();
                    }
                    REQUIRE(g.fields == 6);
                    REQUIRE(s.glyphs.count(g.id) == 0);
                    s.glyphs[g.id] = g;
                    break;
                }
                default:
                    FAIL("unknown fontstack field " << st.tag());
            }
        }
        stacks.push_back(std::move(s));
    }
    return stacks;
}

const std::filesystem::path& noto() {
    return Glyphs::known_fonts().front();
}

bool have_noto() {
    return require_or_skip(std::filesystem::exists(noto()), "fonts-noto-cjk (" + noto().string() + ")");
}

// What MapLibre's AlphaImage demands: a bitmap of exactly (w + 6) x (h + 6) bytes.
void check_sizes(const Stack& s) {
    for (const auto& [id, g] : s.glyphs) {
        INFO("glyph " << id);
        if (g.width == 0 || g.height == 0) {
            CHECK_FALSE(g.bitmap.has_value());
        } else {
            REQUIRE(g.bitmap.has_value());
            CHECK(g.bitmap->size() == (g.width + 6) * (g.height + 6));
        }
    }
}

int max_value(const Glyph& g) {
    return static_cast<unsigned char>(*std::max_element(g.bitmap->begin(), g.bitmap->end(), [](char a, char b) {
        return static_cast<unsigned char>(a) < static_cast<unsigned char>(b);
    }));
}

}  // namespace

TEST_CASE("glyphs: range 0 of Noto Sans CJK SC holds digits, Latin and space as MapLibre reads them",
          "[serve][glyphs]") {
    if (!have_noto()) return;
    Glyphs glyphs;
    CHECK(glyphs.file() == noto());
    CHECK(glyphs.fontstack() == "Noto Sans CJK SC Regular");
    const auto pbf = glyphs.range(0);
    REQUIRE(pbf);
    const auto stacks = decode(*pbf);
    REQUIRE(stacks.size() == 1);
    const Stack& s = stacks[0];
    CHECK(s.name == "Noto Sans CJK SC Regular");
    CHECK(s.range == "0-255");
    for (char c = '0'; c <= '9'; ++c) CHECK(s.glyphs.count(static_cast<unsigned char>(c)) == 1);
    REQUIRE(s.glyphs.count('A') == 1);
    check_sizes(s);

    const Glyph& zero = s.glyphs.at('0');
    CHECK(zero.advance >= 12);
    CHECK(zero.advance <= 16);
    // a digit stands on the baseline: its top, 25 px above MapLibre's pen line, about
    // 17 px above the baseline at 24 px per em
    CHECK(zero.top >= -10);
    CHECK(zero.top <= -5);
    CHECK(zero.height >= 15);
    CHECK(zero.height <= 20);
    CHECK(max_value(zero) > 192);
    // the border row is 3 px or more from the ink: 255 * (0.75 - 3 / 8) at most
    for (std::uint32_t x = 0; x < zero.width + 6; ++x) CHECK(zero.at(x, 0) <= 96);
    CHECK(zero.at(0, 0) < 64);  // the corner, farther still from the oval

    // space: an advance and no bitmap
    REQUIRE(s.glyphs.count(' ') == 1);
    const Glyph& space = s.glyphs.at(' ');
    CHECK(space.width == 0);
    CHECK_FALSE(space.bitmap.has_value());
    CHECK(space.advance > 0);
}

TEST_CASE("glyphs: the range of 村 (U+6751) holds it as a full-width SDF glyph", "[serve][glyphs]") {
    if (!have_noto()) return;
    Glyphs glyphs;
    const auto pbf = glyphs.range(0x6700);
    REQUIRE(pbf);
    const auto stacks = decode(*pbf);
    REQUIRE(stacks.size() == 1);
    const Stack& s = stacks[0];
    CHECK(s.name == glyphs.fontstack());
    CHECK(s.range == "26368-26623");
    CHECK(s.glyphs.size() == 256);  // every ideograph of this block is in the font
    check_sizes(s);
    REQUIRE(s.glyphs.count(0x6751) == 1);
    const Glyph& cun = s.glyphs.at(0x6751);
    CHECK(cun.advance == 24);
    CHECK(cun.width >= 18);
    CHECK(cun.width <= 24);
    CHECK(cun.height >= 18);
    CHECK(cun.height <= 25);
    CHECK(cun.top > -8);  // ideographs reach higher than digits
    CHECK(cun.top < 0);
    CHECK(max_value(cun) > 192);
    const std::uint32_t w = cun.width + 6, h = cun.height + 6;
    // the corners: sqrt(18) px or more from the ink
    const std::pair<std::uint32_t, std::uint32_t> corners[] = {{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}};
    for (const auto& [x, y] : corners) CHECK(cun.at(x, y) < 64);
}

TEST_CASE("glyphs: starts that are not a range give nullopt", "[serve][glyphs]") {
    if (!have_noto()) return;
    Glyphs glyphs;
    for (unsigned start : {1u, 255u, 257u, 0x6751u, 65536u, 65792u, 1u << 31}) {
        INFO(start);
        CHECK_FALSE(glyphs.range(start).has_value());
    }
    CHECK(glyphs.range(65280).has_value());  // the last range, 65280-65535
}

TEST_CASE("glyphs: a missing font file is an io_error naming it", "[serve][glyphs]") {
    const std::string missing = "/nonexistent/dir/NoSuchFont.ttc";
    CHECK_THROWS_AS(Glyphs(missing), io_error);
    CHECK_THROWS_WITH(Glyphs(missing), Catch::Contains(missing));
    // a file that is not a font
    const auto not_font = source_dir() / "CMakeLists.txt";
    CHECK_THROWS_AS(Glyphs(not_font), io_error);
    CHECK_THROWS_WITH(Glyphs(not_font), Catch::Contains(not_font.string()) && Catch::Contains("not a font"));
}

TEST_CASE("glyphs: a range made again is byte-identical, also by another instance and thread", "[serve][glyphs]") {
    if (!have_noto()) return;
    Glyphs a;
    std::vector<std::string> made(4);
    std::vector<std::thread> threads;
    for (auto& out : made) threads.emplace_back([&a, &out] { out = *a.range(0x6700); });
    for (auto& t : threads) t.join();
    for (const auto& m : made) CHECK(m == made[0]);
    CHECK(*a.range(0x6700) == made[0]);
    Glyphs b(noto());
    CHECK(*b.range(0x6700) == made[0]);
    CHECK(*b.range(0) == *a.range(0));
}

TEST_CASE("glyphs: an explicit Latin font leaves out the code points it lacks", "[serve][glyphs]") {
    const std::filesystem::path dejavu = Glyphs::known_fonts().back();
    if (!require_or_skip(std::filesystem::exists(dejavu), "DejaVu Sans (" + dejavu.string() + ")")) return;
    Glyphs glyphs(dejavu);
    CHECK(glyphs.fontstack() == "DejaVu Sans Book");
    const auto latin = decode(*glyphs.range(0));
    REQUIRE(latin.size() == 1);
    CHECK(latin[0].glyphs.count('7') == 1);
    CHECK(latin[0].glyphs.count(0x1F) == 0);  // a control character the font has no glyph for
    check_sizes(latin[0]);
    const auto cjk = decode(*glyphs.range(0x6700));
    REQUIRE(cjk.size() == 1);
    CHECK(cjk[0].name == "DejaVu Sans Book");
    CHECK(cjk[0].range == "26368-26623");
    CHECK(cjk[0].glyphs.empty());
}

TEST_CASE("glyphs: the SDF of a coverage bitmap is tiny-sdf's", "[serve][glyphs]") {
    // an 8 x 8 square, fully covered
    std::vector<std::uint8_t> square(64, 255);
    const auto f = glyph_pbf::sdf(square.data(), 8, 8, 8);
    REQUIRE(f.size() == 14u * 14u);
    const auto at = [&](int x, int y) { return int{f[static_cast<std::size_t>(y * 14 + x)]}; };
    // 255 - 255 * (d / 8 + 0.25), d the distance to the nearest pixel across the edge
    CHECK(at(3, 7) == 223);  // first pixel inside: d = -1
    CHECK(at(2, 7) == 159);  // first pixel outside: d = 1
    CHECK(at(0, 7) == 96);   // the border's outer pixel: d = 3
    CHECK(at(7, 7) == 255);  // the middle: d = -4, clamped
    CHECK(at(0, 0) == 56);   // corner: d = sqrt(18)
    // half a pixel: the edge itself, 0.75 * 255
    const std::uint8_t half = 128;
    const auto e = glyph_pbf::sdf(&half, 1, 1, 1);
    REQUIRE(e.size() == 49u);
    CHECK(int{e[24]} == 191);
    // the pitch is honoured: a 2 x 1 bitmap in rows of 4 bytes
    const std::uint8_t wide[] = {255, 255, 0, 0};
    const auto g = glyph_pbf::sdf(wide, 2, 1, 4);
    REQUIRE(g.size() == 8u * 7u);
    CHECK(int{g[3 * 8 + 3]} == 223);
    CHECK(int{g[3 * 8 + 5]} == 159);
}

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <protozero/pbf_writer.hpp>
#include <wangge/error.hpp>
#include "geometry/geos.hpp"
#include <wangge/tiles/clip.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;

namespace {

const Layer& only_layer(const Tile& t, const std::string& name) {
    const Layer* l = t.layer(name);
    REQUIRE(l != nullptr);
    return *l;
}

// Hand-made protobuf, to feed the decoder what our encoder never writes.
struct RawFeature {
    std::optional<std::uint32_t> type = 1;
    std::vector<std::uint32_t> geometry = {9, 50, 34};
    std::vector<std::uint32_t> tags;
};

std::string raw_layer(const std::string& name, std::optional<std::uint32_t> version, const std::vector<RawFeature>& fs,
                      const std::vector<std::string>& keys = {}, const std::vector<std::string>& string_values = {}) {
    std::string layer;
    protozero::pbf_writer w(layer);
    if (version) w.add_uint32(15, *version);
    if (!name.empty()) w.add_string(1, name);
    for (const auto& f : fs) {
        protozero::pbf_writer fw(w, 2);
        fw.add_packed_uint32(2, f.tags.begin(), f.tags.end());
        if (f.type) fw.add_enum(3, static_cast<std::int32_t>(*f.type));
        fw.add_packed_uint32(4, f.geometry.begin(), f.geometry.end());
    }
    for (const auto& k : keys) w.add_string(3, k);
    for (const auto& v : string_values) {
        protozero::pbf_writer vw(w, 4);
        vw.add_string(1, v);
    }
    w.add_uint32(5, 4096);
    return layer;
}

std::string raw_tile(const std::vector<std::string>& layers) {
    std::string tile;
    protozero::pbf_writer w(tile);
    for (const auto& l : layers) w.add_message(3, l);
    return tile;
}

std::string one_feature_tile(std::uint32_t type, std::vector<std::uint32_t> geometry, std::uint32_t version = 2) {
    RawFeature f;
    f.type = type;
    f.geometry = std::move(geometry);
    return raw_tile({raw_layer("l", version, {f})});
}

// WKT of a polygon in tile coordinates (GEOS does not care that y points down).
template <class Poly>
std::string wkt(const Poly& polygon) {
    std::string s = "POLYGON(";
    for (std::size_t r = 0; r < polygon.size(); ++r) {
        if (r) s += ",";
        s += "(";
        for (const auto& p : polygon[r]) s += fmt::format("{} {},", p.x, p.y);
        s += fmt::format("{} {})", polygon[r].front().x, polygon[r].front().y);
    }
    return s + ")";
}

double polygon_area(const PolygonD& p) {
    double a = 0;
    for (const auto& r : p) a += ring_area2(r) / 2;
    return a;
}

}  // namespace

TEST_CASE("tiles: geometry commands match the examples of the MVT spec", "[tiles]") {
    // vector-tile-spec 2.1, section 4.3.5.
    CHECK(encode_points({{25, 17}}) == std::vector<std::uint32_t>{9, 50, 34});
    CHECK(encode_points({{5, 7}, {3, 2}}) == std::vector<std::uint32_t>{17, 10, 14, 3, 9});
    CHECK(encode_lines({{{2, 2}, {2, 10}, {10, 10}}}) == std::vector<std::uint32_t>{9, 4, 4, 18, 0, 16, 16, 0});
    CHECK(encode_lines({{{2, 2}, {2, 10}, {10, 10}}, {{1, 1}, {3, 5}}}) ==
          std::vector<std::uint32_t>{9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8});
    CHECK(encode_polygons({{{{3, 6}, {8, 12}, {20, 34}}}}) ==
          std::vector<std::uint32_t>{9, 6, 12, 18, 10, 12, 24, 44, 15});
    // The spec's multipolygon: two polygons, the second with a hole.
    const MultiPolygon mp = {{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
                             {{{11, 11}, {20, 11}, {20, 20}, {11, 20}}, {{13, 13}, {13, 17}, {17, 17}, {17, 13}}}};
    CHECK(encode_polygons(mp) == std::vector<std::uint32_t>{9, 0,  0,  26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0,
                                                            0, 18, 17, 0,  15, 9, 4, 13, 26, 0, 8,  8, 0,  0, 7,  15});
}

TEST_CASE("tiles: points, lines and polygons round-trip through the encoder and decoder", "[tiles]") {
    TileBuilder tb;
    auto& pts = tb.layer("points");
    CHECK(pts.add_points({{1, 2}, {4000, 4095}, {-10, 4100}}, {{"name", std::string("a")}}, 7));
    auto& lines = tb.layer("lines", 512);
    CHECK(lines.add_lines({{{0, 0}, {10, 0}, {10, 0}, {10, 10}}, {{100, 100}, {50, 60}}}, {}, 8));
    auto& polys = tb.layer("polygons");
    const Polygon square_with_hole = {{{0, 0}, {100, 0}, {100, 100}, {0, 100}},
                                      {{10, 10}, {10, 20}, {20, 20}, {20, 10}}};
    const Polygon second = {{{200, 200}, {300, 200}, {300, 300}}};
    CHECK(polys.add_polygons({square_with_hole, second}, {{"kind", std::string("zone")}}));
    CHECK(!tb.empty());

    const Tile t = decode_tile(tb.serialize());
    REQUIRE(t.layers.size() == 3);
    CHECK(t.layers[0].name == "points");
    CHECK(t.layers[1].name == "lines");
    CHECK(t.layers[2].name == "polygons");

    const Layer& lp = only_layer(t, "points");
    CHECK(lp.version == 2);
    CHECK(lp.extent == 4096);
    REQUIRE(lp.features.size() == 1);
    CHECK(lp.features[0].id == std::optional<std::uint64_t>(7));
    CHECK(lp.features[0].type == GeomType::point);
    CHECK(lp.features[0].points == MultiPoint{{1, 2}, {4000, 4095}, {-10, 4100}});

    const Layer& ll = only_layer(t, "lines");
    CHECK(ll.extent == 512);
    REQUIRE(ll.features.size() == 1);
    CHECK(ll.features[0].type == GeomType::linestring);
    // The repeated point is gone.
    CHECK(ll.features[0].lines == MultiLineString{{{0, 0}, {10, 0}, {10, 10}}, {{100, 100}, {50, 60}}});

    const Layer& lg = only_layer(t, "polygons");
    REQUIRE(lg.features.size() == 1);
    const Feature& f = lg.features[0];
    CHECK(!f.id.has_value());
    CHECK(f.type == GeomType::polygon);
    REQUIRE(f.polygons.size() == 2);
    REQUIRE(f.polygons[0].size() == 2);
    CHECK(f.polygons[0][0] == square_with_hole[0]);  // already clockwise on screen: kept
    CHECK(ring_area2(f.polygons[0][0]) > 0);
    CHECK(ring_area2(f.polygons[0][1]) < 0);
    CHECK(f.polygons[1].size() == 1);
    CHECK(std::get<std::string>(*f.property("kind")) == "zone");
}

TEST_CASE("tiles: property values keep their types and the key/value tables are deduplicated", "[tiles]") {
    TileBuilder tb;
    auto& l = tb.layer("props");
    const Properties a = {{"s", std::string("text")},
                          {"f", 1.5f},
                          {"d", 2.25},
                          {"i", std::int64_t{-42}},
                          {"u", std::uint64_t{18446744073709551615ull}},
                          {"b", true}};
    // Same number in three types: three values. Same key and value twice: one entry.
    const Properties b = {{"s", std::string("text")}, {"i", std::int64_t{1}}, {"u", std::uint64_t{1}}, {"d", 1.0}};
    const Properties c = {{"s", std::string("other")}, {"b", true}};
    CHECK(l.add_points({{1, 1}}, a, 1));
    CHECK(l.add_points({{2, 2}}, b, 2));
    CHECK(l.add_points({{3, 3}}, c, 3));
    CHECK(l.key_count() == 6);
    CHECK(l.value_count() == 10);  // a: 6, b: int 1, uint 1, double 1 (text shared), c: "other" (true shared)

    const Tile t = decode_tile(tb.serialize());
    const Layer& d = only_layer(t, "props");
    CHECK(d.keys.size() == 6);
    CHECK(d.values.size() == 10);
    REQUIRE(d.features.size() == 3);
    CHECK(d.features[0].properties == a);
    CHECK(d.features[1].properties == b);
    CHECK(d.features[2].properties == c);
    CHECK(std::holds_alternative<float>(*d.features[0].property("f")));
    CHECK(std::holds_alternative<std::uint64_t>(*d.features[1].property("u")));
    CHECK(std::holds_alternative<std::int64_t>(*d.features[1].property("i")));
    CHECK(d.features[1].property("missing") == nullptr);

    CHECK_THROWS_AS(l.add_points({{1, 1}}, {{"k", true}, {"k", false}}), input_error);
    CHECK_THROWS_AS(l.add_points({{1, 1}}, {{"k", std::string("\xff\xfe")}}), input_error);
    CHECK(l.feature_count() == 3);
}

TEST_CASE("tiles: polygon winding is fixed and degenerate rings are dropped", "[tiles]") {
    TileBuilder tb;
    auto& l = tb.layer("p");
    // Exterior counter-clockwise on screen (negative area), hole clockwise (positive),
    // both closed explicitly and with a repeated point.
    const Ring ccw = {{0, 0}, {0, 100}, {100, 100}, {100, 100}, {100, 0}, {0, 0}};
    const Ring hole_cw = {{10, 10}, {20, 10}, {20, 20}, {10, 20}};
    REQUIRE(ring_area2(ccw) < 0);
    REQUIRE(ring_area2(hole_cw) > 0);
    const Ring two_points = {{50, 50}, {60, 60}, {50, 50}};
    const Ring collinear = {{30, 30}, {40, 40}, {50, 50}};
    CHECK(l.add_polygons({{ccw, hole_cw, two_points, collinear}}));

    // A polygon whose exterior is degenerate goes with its holes; if nothing is left
    // the feature is not written.
    CHECK(!l.add_polygons({{collinear, hole_cw}}));
    CHECK(!l.add_polygons({{{{5, 5}, {5, 5}, {5, 5}}}}));
    CHECK(!l.add_lines({{{1, 1}, {1, 1}}}));
    CHECK(!l.add_points({}));
    CHECK(l.feature_count() == 1);
    // A multipolygon keeps its surviving parts.
    CHECK(l.add_polygons({{collinear}, {{{200, 200}, {300, 200}, {300, 300}}}}));

    const Tile t = decode_tile(tb.serialize());
    const Layer& d = only_layer(t, "p");
    REQUIRE(d.features.size() == 2);
    const auto& polys = d.features[0].polygons;
    REQUIRE(polys.size() == 1);
    REQUIRE(polys[0].size() == 2);  // degenerate rings dropped
    CHECK(ring_area2(polys[0][0]) == 2 * 100 * 100);
    CHECK(polys[0][0].size() == 4);  // closing and repeated points gone
    CHECK(ring_area2(polys[0][1]) == -2 * 10 * 10);
    CHECK(d.features[1].polygons.size() == 1);

    // What the encoder keeps is what clean_polygon says.
    const auto cleaned = clean_polygon({ccw, hole_cw});
    REQUIRE(cleaned);
    CHECK(ring_area2((*cleaned)[0]) > 0);
    CHECK(!clean_polygon({collinear}));
    CHECK(!clean_ring(two_points));
}

TEST_CASE("tiles: layers are unique by name, empty ones are left out", "[tiles]") {
    TileBuilder tb;
    auto& a = tb.layer("a");
    CHECK(&tb.layer("a") == &a);
    CHECK_THROWS_AS(tb.layer("a", 512), usage_error);
    CHECK_THROWS_AS(tb.layer(""), usage_error);
    tb.layer("empty");
    CHECK(tb.empty());
    CHECK(tb.serialize().empty());
    a.add_points({{1, 1}});
    const Tile t = decode_tile(tb.serialize());
    REQUIRE(t.layers.size() == 1);
    CHECK(t.layers[0].name == "a");
    // Deltas must fit in 32 bits.
    CHECK_THROWS_AS(a.add_points({{-2000000000, 0}, {2000000000, 0}}), input_error);
}

TEST_CASE("tiles: the decoder rejects malformed tiles with input_error", "[tiles]") {
    // Sanity: the hand-made tile is valid.
    const Tile ok = decode_tile(one_feature_tile(1, {9, 50, 34}));
    REQUIRE(ok.layers.size() == 1);
    CHECK(ok.layers[0].features[0].points == MultiPoint{{25, 17}});

    auto rejects = [](const std::string& bytes, const std::string& reason) {
        INFO(reason);
        CHECK_THROWS_WITH(decode_tile(bytes), Catch::Contains(reason));
        CHECK_THROWS_AS(decode_tile(bytes), input_error);
    };
    const std::string valid = one_feature_tile(1, {9, 50, 34});
    rejects(valid.substr(0, valid.size() - 3), "protobuf");
    rejects(raw_tile({raw_layer("l", std::nullopt, {RawFeature{}})}), "no version");
    rejects(raw_tile({raw_layer("l", 3, {RawFeature{}})}), "version 3");
    rejects(raw_tile({raw_layer("", 2, {RawFeature{}})}), "no name");
    rejects(raw_tile({raw_layer("l", 2, {}), raw_layer("l", 2, {})}), "two layers are named 'l'");
    RawFeature no_type;
    no_type.type.reset();
    rejects(raw_tile({raw_layer("l", 2, {no_type})}), "no geometry type");
    rejects(one_feature_tile(4, {9, 50, 34}), "unknown geometry type 4");
    RawFeature bad_key;
    bad_key.tags = {1, 0};
    rejects(raw_tile({raw_layer("l", 2, {bad_key}, {"k"}, {"v"})}), "key 1 of 1");
    RawFeature bad_value;
    bad_value.tags = {0, 5};
    rejects(raw_tile({raw_layer("l", 2, {bad_value}, {"k"}, {"v"})}), "value 5 of 1");
    RawFeature odd;
    odd.tags = {0};
    rejects(raw_tile({raw_layer("l", 2, {odd}, {"k"}, {"v"})}), "odd number of tags");

    rejects(one_feature_tile(1, {9 + 3, 50, 34}), "unknown geometry command id 4");
    rejects(one_feature_tile(1, {17, 50, 34}), "exceeds");
    rejects(one_feature_tile(1, {9, 50, 34, 9, 2, 2}), "after its MoveTo");
    rejects(one_feature_tile(2, {17, 4, 4, 18, 0, 16}), "MoveTo of count 2");
    rejects(one_feature_tile(2, {9, 4, 4, 18, 0, 16, 0, 0}), "zero delta");
    rejects(one_feature_tile(2, {9, 4, 4}), "geometry ends");
    rejects(one_feature_tile(2, {9, 4, 4, 10, 0, 16, 15}), "ClosePath in a linestring");
    rejects(one_feature_tile(3, {9, 6, 12, 18, 10, 12, 24, 44, 23}), "ClosePath of count 2");
    rejects(one_feature_tile(3, {9, 6, 12, 18, 10, 12, 24, 44, 7}), "ClosePath of count 0");
    rejects(one_feature_tile(3, {9, 6, 12, 18, 10, 12, 24, 44}), "geometry ends");
    rejects(one_feature_tile(3, {9, 6, 12, 10, 10, 12, 15}), "LineTo of count 1");
    // The spec's polygon reversed: its only ring is a hole.
    rejects(one_feature_tile(3, {9, 40, 68, 18, 23, 43, 9, 11, 15}), "starts with an interior ring");
    rejects(one_feature_tile(3, {9, 0, 0, 18, 2, 2, 2, 2, 15}), "zero area");

    // Version 1 layers: a ClosePath in a line closes it; winding is not defined.
    const Tile v1 = decode_tile(one_feature_tile(2, {9, 4, 4, 10, 0, 16, 15}, 1));
    CHECK(v1.layers[0].features[0].lines == MultiLineString{{{2, 2}, {2, 10}, {2, 2}}});
    const Tile v1p = decode_tile(one_feature_tile(3, {9, 40, 68, 18, 23, 43, 9, 11, 15}, 1));
    CHECK(v1p.layers[0].features[0].polygons.size() == 1);

    // Gzip input is recognized; corrupt gzip is an input_error too.
    CHECK(decode_tile(gzip_compress(valid)).layers.size() == 1);
    std::string bad_gzip = gzip_compress(valid);
    bad_gzip[bad_gzip.size() / 2] ^= 0x55;
    CHECK_THROWS_AS(decode_tile(bad_gzip), input_error);
}

TEST_CASE("tiles: gzip output is deterministic and round-trips", "[tiles]") {
    const std::string data(100000, 'x');
    const std::string a = gzip_compress(data);
    CHECK(a == gzip_compress(data));
    CHECK(is_gzip(a));
    CHECK(a.size() < 1000);
    CHECK(gzip_decompress(a) == data);
    CHECK(gzip_decompress(gzip_compress("")).empty());
    CHECK(gzip_decompress(a + gzip_compress("yz")) == data + "yz");  // concatenated members
    CHECK_THROWS_AS(gzip_decompress(a.substr(0, a.size() / 2)), input_error);
    CHECK_THROWS_AS(gzip_decompress("plain"), input_error);
    CHECK_THROWS_WITH(gzip_decompress(a, 1000), Catch::Contains("beyond 1000 bytes"));
}

TEST_CASE("tiles: clipping keeps polygons valid and exact", "[tiles]") {
    auto& ctx = geos::Context::local();
    const ClipBox box = ClipBox::for_tile(4096, 64);
    CHECK(box.min_x == -64);
    CHECK(box.max_y == 4160);
    const auto box_geom = ctx.from_wkt("POLYGON((-64 -64,4160 -64,4160 4160,-64 4160,-64 -64))");

    // Compare a clipped polygon with GEOS's intersection: valid, same area.
    auto check_against_geos = [&](const PolygonD& input, bool expect_valid) {
        const PolygonD clipped = clip_polygon(input, box);
        const auto in = ctx.from_wkt(wkt(input));
        REQUIRE(ctx.invalid_reason(in.get()).empty());
        const double expected = ctx.area(ctx.intersection(in.get(), box_geom.get()).get());
        if (expected < 1e-9) {
            CHECK(clipped.empty());
            return;
        }
        REQUIRE(!clipped.empty());
        for (const auto& r : clipped)
            for (const auto& p : r) CHECK(box.contains(p.x, p.y));
        const auto out = ctx.from_wkt(wkt(clipped));
        if (expect_valid) CHECK(ctx.invalid_reason(out.get()).empty());
        CHECK(std::abs(polygon_area(clipped)) == Approx(expected).epsilon(1e-9));

        // Quantized, cleaned and encoded, then decoded: still valid (and oriented).
        const Polygon q = clip_polygon(quantize(input), box);
        if (q.empty()) return;
        TileBuilder tb;
        if (!tb.layer("c").add_polygons({q})) return;
        const Tile t = decode_tile(tb.serialize());
        for (const auto& poly : t.layers[0].features[0].polygons) {
            const auto g = ctx.from_wkt(wkt(poly));
            if (expect_valid) CHECK(ctx.invalid_reason(g.get()).empty());
        }
    };

    SECTION("convex shapes all around the border") {
        // Regular 12-gons centred on a grid that straddles every edge and corner.
        for (double cx : {-300.0, 0.0, 100.0, 2048.0, 4000.0, 4096.0, 4400.0}) {
            for (double cy : {-300.0, 0.0, 2048.0, 4150.0, 4500.0}) {
                for (double radius : {50.0, 400.0, 3000.0}) {
                    RingD ring;
                    for (int k = 0; k < 12; ++k) {
                        const double a = k * std::numbers::pi / 6 + 0.1;
                        ring.push_back({cx + radius * std::cos(a), cy + radius * std::sin(a)});
                    }
                    INFO(fmt::format("centre {} {}, radius {}", cx, cy, radius));
                    check_against_geos({ring}, true);
                }
            }
        }
    }
    SECTION("holes inside, outside and around the box") {
        const RingD big = {{-1000, -1000}, {5000, -1000}, {5000, 5000}, {-1000, 5000}};
        const RingD hole_inside = {{100, 100}, {100, 200}, {200, 200}, {200, 100}};
        const RingD hole_outside = {{-900, -900}, {-900, -800}, {-800, -800}, {-800, -900}};
        const PolygonD clipped = clip_polygon({big, hole_inside, hole_outside}, box);
        REQUIRE(clipped.size() == 2);  // the exterior became the box, the outside hole is gone
        CHECK(std::abs(ring_area2(clipped[0])) == Approx(2.0 * 4224 * 4224));
        check_against_geos({big, hole_inside, hole_outside}, true);

        // The tile lies inside a hole: nothing of the polygon is in it.
        const RingD huge = {{-9000, -9000}, {9000, -9000}, {9000, 9000}, {-9000, 9000}};
        CHECK(clip_polygon(PolygonD{huge, big}, box).empty());
        CHECK(clip_polygon(quantize(PolygonD{huge, big}), box).empty());
    }
    SECTION("polygons entirely inside are kept as they are, entirely outside dropped") {
        const Polygon inside = {{{1, 1}, {3000, 5}, {2000, 2000}}};
        CHECK(clip_polygon(inside, box) == inside);
        CHECK(clip_polygon(Polygon{{{5000, 5000}, {6000, 5000}, {6000, 6000}}}, box).empty());
    }
    SECTION("known limit: a concave ring that re-enters gets zero-width bridges on the clip edge") {
        // A U open to the right whose arms leave the box on the right: one ring in,
        // two pieces in the true intersection. Same area; the bridge lies on x = 4160.
        const RingD u = {{3000, 1000}, {5000, 1000}, {5000, 2000}, {3500, 2000},
                         {3500, 3000}, {5000, 3000}, {5000, 4000}, {3000, 4000}};
        check_against_geos({u}, false);
        const PolygonD clipped = clip_polygon({u}, box);
        REQUIRE(clipped.size() == 1);
        int on_edge = 0;
        for (const auto& p : clipped[0]) on_edge += p.x == box.max_x ? 1 : 0;
        CHECK(on_edge == 4);
    }
}

TEST_CASE("tiles: lines are cut at the buffer and points outside dropped", "[tiles]") {
    const ClipBox box = ClipBox::for_tile(4096, 64);
    // Leaves through the right edge and comes back.
    const LineString line = {{0, 0}, {5000, 0}, {5000, 100}, {100, 100}};
    const auto pieces = clip_line(line, box);
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0] == LineString{{0, 0}, {4160, 0}});
    CHECK(pieces[1] == LineString{{4160, 100}, {100, 100}});
    // Entirely inside: unchanged; entirely outside: gone; crossing a corner diagonally.
    CHECK(clip_line(LineString{{1, 1}, {2, 2}, {3, 1}}, box) == MultiLineString{{{1, 1}, {2, 2}, {3, 1}}});
    CHECK(clip_line(LineString{{-500, -500}, {-100, -500}}, box).empty());
    const auto diag = clip_line(LineStringD{{-200, -200}, {200, 200}}, box);
    REQUIRE(diag.size() == 1);
    CHECK(diag[0] == LineStringD{{-64, -64}, {200, 200}});
    CHECK(clip_lines({line, {{10, 10}, {20, 20}}}, box).size() == 3);

    CHECK(filter_points({{0, 0}, {-64, 4160}, {-65, 0}, {4161, 5}, {2000, 2000}}, box) ==
          MultiPoint{{0, 0}, {-64, 4160}, {2000, 2000}});
}

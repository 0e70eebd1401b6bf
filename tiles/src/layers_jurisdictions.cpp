// Layers of the jurisdictions: counties, townships, villages (outlines) and their
// label points (county_labels, township_labels, village_labels).
#include <algorithm>
#include <string>

#include "geometry/geos.hpp"
#include "layers.hpp"

namespace wangge::tiles::detail {

namespace {

/// A label point inside a polygon: the centre of its largest inscribed circle (a pole
/// of inaccessibility, found to 1/1000 of the polygon's size), or GEOS's point on
/// surface where that centre is not inside (a part thinner than the tolerance).
std::pair<double, double> label_point(geos::Context& g, const GEOSGeometry* polygon) {
    const auto h = g.handle();
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getXMin_r(h, polygon, &x0);
    GEOSGeom_getYMin_r(h, polygon, &y0);
    GEOSGeom_getXMax_r(h, polygon, &x1);
    GEOSGeom_getYMax_r(h, polygon, &y1);
    const double tol = std::max(x1 - x0, y1 - y0) / 1000;
    auto circle = g.own(GEOSMaximumInscribedCircle_r(h, polygon, tol), "inscribed circle");
    auto pt = g.own(GEOSGeomGetStartPoint_r(h, circle.get()), "circle centre");
    if (GEOSContains_r(h, polygon, pt.get()) != 1) pt = g.own(GEOSPointOnSurface_r(h, polygon), "point on surface");
    double x = 0, y = 0;
    GEOSGeomGetX_r(h, pt.get(), &x);
    GEOSGeomGetY_r(h, pt.get(), &y);
    return {x, y};
}

const std::vector<JurisdictionFeature>& features_of(const Inputs& in, const std::string& level) {
    static const std::vector<JurisdictionFeature> none;
    const auto it = in.jurisdictions.find(level);
    return it == in.jurisdictions.end() ? none : it->second;
}

/// Outlines of one level: code, name, parent; grouped by their parent (`group`, ""
/// for none) when a tile stays over the size limit.
class Outlines : public LayerType {
public:
    Outlines(std::string name, std::string level, LayerZooms zooms, std::string group)
        : name_(std::move(name)), level_(std::move(level)), zooms_(zooms), group_(std::move(group)) {}
    std::string_view name() const override { return name_; }
    LayerZooms default_zooms() const override { return zooms_; }
    void need(InputNeeds& n) const override { n.levels.insert(level_); }
    void make(const Inputs& in, LayerData& out) const override {
        std::vector<std::vector<unsigned char>> wkbs;
        for (const auto& j : features_of(in, level_)) {
            wkbs.push_back(j.wkb);
            out.ids.push_back(std::stoull(j.code));
            Properties p{{"code", j.code}, {"name", j.name}};
            if (!j.parent.empty()) p.emplace_back("parent", j.parent);
            out.add_fields(p);
            out.props.push_back(std::move(p));
        }
        make_coverage(out, wkbs);
    }
    std::string_view group_field() const override { return group_; }
    std::string group_of(const Properties& p) const override {
        std::string g;
        for (const auto& [k, v] : p)
            if (const auto* s = std::get_if<std::string>(&v); s && k == "parent") g = *s;
        return g;
    }

private:
    std::string name_, level_;
    LayerZooms zooms_;
    std::string group_;
};

/// One label point per jurisdiction of a level, inside it: code and name.
class Labels : public LayerType {
public:
    Labels(std::string name, std::string level, LayerZooms zooms)
        : name_(std::move(name)), level_(std::move(level)), zooms_(zooms) {}
    std::string_view name() const override { return name_; }
    LayerZooms default_zooms() const override { return zooms_; }
    void need(InputNeeds& n) const override { n.levels.insert(level_); }
    void make(const Inputs& in, LayerData& out) const override {
        out.fields = {{"code", "String"}, {"name", "String"}};
        const auto& fs = features_of(in, level_);
        out.points.resize(fs.size());
        parallel_for(fs.size(), in.threads, [&](std::size_t i) {
            auto& g = geos::Context::local();
            const auto [lon, lat] = label_point(g, g.from_wkb(fs[i].wkb.data(), fs[i].wkb.size()).get());
            out.points[i] = topology::to_mercator(lon, lat);
        });
        for (const auto& j : fs) out.props.push_back({{"code", j.code}, {"name", j.name}});
    }

private:
    std::string name_, level_;
    LayerZooms zooms_;
};

}  // namespace

const LayerType& counties_layer() {
    static const Outlines t("counties", "county", {0, 16}, "");
    return t;
}
const LayerType& townships_layer() {
    static const Outlines t("townships", "township", {6, 16}, "county");
    return t;
}
const LayerType& villages_layer() {
    static const Outlines t("villages", "village", {9, 16}, "township");
    return t;
}
const LayerType& county_labels_layer() {
    static const Labels t("county_labels", "county", {7, 16});
    return t;
}
const LayerType& township_labels_layer() {
    static const Labels t("township_labels", "township", {9, 16});
    return t;
}
const LayerType& village_labels_layer() {
    static const Labels t("village_labels", "village", {11, 16});
    return t;
}

}  // namespace wangge::tiles::detail

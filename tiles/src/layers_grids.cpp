// Layers of the grids: grids (outlines with their event counts per platform) and
// grid_labels (one point per grid).
#include <array>
#include <utility>

#include "layers.hpp"

namespace wangge::tiles::detail {

namespace {

const std::array<std::pair<const char*, const char*>, 4> platform_keys = {{{"综治工作", "ev_governance"},
                                                                           {"市场监管", "ev_market"},
                                                                           {"综合执法", "ev_enforcement"},
                                                                           {"便民服务", "ev_service"}}};

/// A grid's properties from the store: code, type, households, village, township,
/// name; with the store's events, their count per platform and in all.
Properties store_grid_props(const Inputs& in, const GridFeature& g) {
    Properties p{{"code", g.code},
                 {"type", g.type},
                 {"households", g.households},
                 {"village", g.village},
                 {"township", g.village.substr(0, 9)}};
    if (!g.name.empty()) p.emplace_back("name", g.name);
    if (in.have_events) {
        std::int64_t total = 0;
        const auto it = in.counts.find(g.code);
        for (const auto& [platform, key] : platform_keys) {
            std::int64_t n = 0;
            if (it != in.counts.end())
                if (auto j = it->second.find(platform); j != it->second.end()) n = j->second;
            p.emplace_back(key, n);
            total += n;
        }
        p.emplace_back("events", total);
    }
    return p;
}

/// A stable numeric id of a code of any form (files): its digits, letters mixed in.
std::uint64_t file_grid_id(const std::string& code) {
    std::uint64_t id = 0;
    for (char ch : code) id = ch >= '0' && ch <= '9' ? id * 10 + std::uint64_t(ch - '0') : id * 31 + std::uint64_t(ch);
    return id;
}

class Grids : public LayerType {
public:
    std::string_view name() const override { return "grids"; }
    LayerZooms default_zooms() const override { return {10, 16}; }
    void need(InputNeeds& n) const override { n.grids = true; }
    void make(const Inputs& in, LayerData& out) const override {
        std::vector<std::vector<unsigned char>> wkbs;
        wkbs.reserve(in.grids.size());
        for (std::size_t i = 0; i < in.grids.size(); ++i) {
            const auto& g = in.grids[i];
            Properties p;
            if (in.from_files) {
                p = {{"code", g.code}};
                if (in.grid_has_households[i]) p.emplace_back("households", g.households);
                out.ids.push_back(file_grid_id(g.code));
            } else {
                p = store_grid_props(in, g);
                out.ids.push_back(std::stoull(g.code));
            }
            out.add_fields(p);
            out.props.push_back(std::move(p));
            wkbs.push_back(g.wkb);
        }
        make_coverage(out, wkbs);
    }
    std::string_view group_field() const override { return "village"; }
    std::string group_of(const Properties& p) const override {
        std::string g;
        for (const auto& [k, v] : p)
            if (const auto* s = std::get_if<std::string>(&v); s && k == "code") g = village_of(*s);
        return g;
    }
};

class GridLabels : public LayerType {
public:
    std::string_view name() const override { return "grid_labels"; }
    LayerZooms default_zooms() const override { return {12, 16}; }
    void need(InputNeeds& n) const override { n.grids = true; }
    void make(const Inputs& in, LayerData& out) const override {
        for (const auto& g : in.grids) {
            out.points.push_back(topology::to_mercator(g.label_lon, g.label_lat));
            Properties p{{"code", g.code}};
            if (!in.from_files) p.emplace_back("households", g.households);
            out.add_fields(p);
            out.props.push_back(std::move(p));
        }
    }
};

}  // namespace

const LayerType& grids_layer() {
    static const Grids t;
    return t;
}
const LayerType& grid_labels_layer() {
    static const GridLabels t;
    return t;
}

}  // namespace wangge::tiles::detail

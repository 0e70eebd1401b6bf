// The layer registry and what every layer type shares. See layers.hpp.
#include "layers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <wangge/codes.hpp>
#include <wangge/error.hpp>

#include "tile_maker.hpp"

namespace wangge::tiles::detail {

// one file per kind of layer: layers_jurisdictions.cpp, layers_grids.cpp, layers_events.cpp
const LayerType& counties_layer();
const LayerType& townships_layer();
const LayerType& villages_layer();
const LayerType& grids_layer();
const LayerType& grid_labels_layer();
const LayerType& county_labels_layer();
const LayerType& township_labels_layer();
const LayerType& village_labels_layer();
const LayerType& events_layer();

const std::vector<const LayerType*>& layer_types() {
    static const std::vector<const LayerType*> all = {
        &counties_layer(),      &townships_layer(),       &villages_layer(),       &grids_layer(), &grid_labels_layer(),
        &county_labels_layer(), &township_labels_layer(), &village_labels_layer(), &events_layer()};
    return all;
}

std::string village_of(const std::string& grid) {
    const auto gc = parse_grid_code(grid);
    return gc ? gc->village : std::string();
}

std::string describe(const topology::Coverage::Method& m) {
    if (m.name == "clean") return "already a clean coverage";
    if (m.name == "noded") return "noded as a whole (GEOS)";
    std::string out = fmt::format("made clean: {} T-junction or near-equal points fixed", m.fixed);
    if (m.renoded) out += fmt::format(", {} features noded again", m.renoded);
    return out;
}

void LayerData::add_field(const std::string& field, const Value& v) {
    fields[field] = std::holds_alternative<std::string>(v) ? "String"
                    : std::holds_alternative<bool>(v)      ? "Boolean"
                                                           : "Number";
}

void make_coverage(LayerData& out, const std::vector<std::vector<unsigned char>>& wkbs) {
    out.kind = Kind::polygons;
    if (wkbs.empty()) return;
    out.coverage = std::make_unique<topology::Coverage>(wkbs);
    out.coverage_note = describe(out.coverage->method());
}

}  // namespace wangge::tiles::detail

namespace wangge::tiles {

using namespace detail;

namespace {

/// Each polygon layer's groups, from its features' properties.
void set_groups(LayerData& s) {
    s.group_field = std::string(s.type->group_field());
    if (s.group_field.empty()) return;
    s.group_of.resize(s.props.size());
    for (std::size_t f = 0; f < s.props.size(); ++f) {
        s.group_of[f] = s.type->group_of(s.props[f]);
        if (!s.group_of[f].empty()) s.members[s.group_of[f]].push_back(f);
    }
}

/// The grid labels (code order), their villages and the events counted at each.
void set_labels(MapLayers::Impl& m, const std::map<std::string, topology::XY>& label_of) {
    for (const auto& [code, xy] : label_of) {
        m.labels.emplace_back(code, xy);
        m.label_village.push_back(village_of(code));
        if (!m.label_village.back().empty()) m.village_label.emplace(m.label_village.back(), xy);
    }
    m.label_events.assign(m.labels.size(), 0);
    for (const auto& s : m.layers)
        for (const auto li : s.label_index)
            if (li >= 0) ++m.label_events[static_cast<std::size_t>(li)];
}

}  // namespace

MapLayers::MapLayers(Store& store, const BuildOptions& opt) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.options = opt;
    m.threads = thread_count(opt);
    std::vector<std::string> names;
    for (const auto* t : layer_types()) names.emplace_back(t->name());
    for (const auto& l : opt.layers)
        if (std::find(names.begin(), names.end(), l) == names.end())
            throw usage_error(fmt::format("unknown layer '{}': layers are {}", l, fmt::join(names, ", ")));
    std::vector<const LayerType*> wanted;
    InputNeeds needs;
    for (const auto* t : layer_types())
        if (opt.layers.empty() || std::count(opt.layers.begin(), opt.layers.end(), t->name())) {
            wanted.push_back(t);
            t->need(needs);
        }
    Inputs in = read_inputs(store, opt, needs, m.threads);
    in.threads = m.threads;
    // the layers are independent: made side by side
    std::vector<LayerData> made(wanted.size());
    parallel_for(wanted.size(), m.threads, [&](std::size_t i) {
        LayerData& d = made[i];
        d.type = wanted[i];
        d.name = std::string(wanted[i]->name());
        const auto z = opt.zooms.find(d.name);
        d.zooms = z == opt.zooms.end() ? LayerZooms{} : z->second;
        wanted[i]->make(in, d);
    });
    for (auto& d : made) {
        m.features_per_layer[d.name] = static_cast<std::int64_t>(d.polygons() ? d.props.size() : d.points.size());
        if (!d.coverage_note.empty()) m.coverage_per_layer[d.name] = d.coverage_note;
        if (d.polygons() ? !d.coverage : d.points.empty()) continue;
        if (d.polygons()) set_groups(d);
        m.layers.push_back(std::move(d));
    }
    set_labels(m, in.label_of);
}

MapLayers::~MapLayers() = default;
MapLayers::MapLayers(MapLayers&&) noexcept = default;
MapLayers& MapLayers::operator=(MapLayers&&) noexcept = default;

bool MapLayers::empty() const noexcept {
    return impl_->layers.empty();
}

}  // namespace wangge::tiles

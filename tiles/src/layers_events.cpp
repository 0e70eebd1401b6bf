// The events layer: points from the points zoom; below it one point per grid with the
// grid's count, at the grid's label (see wangge/tiles/build.hpp).
#include <algorithm>
#include <unordered_map>

#include "layers.hpp"

namespace wangge::tiles::detail {

namespace {

class Events : public LayerType {
public:
    std::string_view name() const override { return "events"; }
    LayerZooms default_zooms() const override { return {10, 16}; }
    void need(InputNeeds& n) const override { n.events = true; }
    void make(const Inputs& in, LayerData& out) const override {
        out.kind = Kind::events;
        // each grid label's place in the (code-ordered) labels of the layers
        std::unordered_map<std::string, std::int32_t> label_index;
        label_index.reserve(in.label_of.size());
        std::int32_t i = 0;
        for (const auto& [code, xy] : in.label_of) label_index.emplace(code, i++);
        const std::size_t n = in.events.size();
        out.points.resize(n);
        out.props.resize(n);
        out.grid_of.resize(n);
        out.label_index.resize(n);
        parallel_for((n + 65535) / 65536, in.threads, [&](std::size_t block) {
            for (std::size_t f = block * 65536; f < std::min(n, (block + 1) * 65536); ++f) {
                const EventPoint& e = in.events[f];
                out.points[f] = topology::to_mercator(e.lon, e.lat);
                Properties& p = out.props[f];
                if (in.from_files) {
                    if (in.event_has_type[f]) p.emplace_back("type", e.type);
                    p.emplace_back("grid", e.grid);
                } else {
                    p = {{"id", e.id}, {"type", e.type}, {"platform", e.platform}, {"grid", e.grid}};
                    if (e.uncovered) p.emplace_back("uncovered", true);
                }
                out.grid_of[f] = e.grid;
                const auto it = label_index.find(e.grid);
                out.label_index[f] = it == label_index.end() ? -1 : it->second;
            }
        });
        // the fields of the props above, as add_fields would find them
        const auto has = [&](auto pred) { return std::any_of(in.events.begin(), in.events.end(), pred); };
        if (n > 0) out.fields["grid"] = "String";
        if (in.from_files) {
            if (std::count(in.event_has_type.begin(), in.event_has_type.end(), 1) > 0) out.fields["type"] = "String";
        } else if (n > 0) {
            for (const char* k : {"id", "type", "platform"}) out.fields[k] = "String";
            if (has([](const EventPoint& e) { return e.uncovered; })) out.fields["uncovered"] = "Boolean";
        }
        out.fields["count"] = "Number";
    }
};

}  // namespace

const LayerType& events_layer() {
    static const Events t;
    return t;
}

}  // namespace wangge::tiles::detail

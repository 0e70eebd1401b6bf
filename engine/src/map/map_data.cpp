// What a map of the store is drawn from (wangge/map_data.hpp), for the tile builder
// and the tile server: each read goes to the repository that owns its table.
#include "wangge/map_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "store/events_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"

namespace wangge {

void for_each_grid(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn) {
    repo::for_each_grid_feature(store, area, fn);
}

void for_each_grid_label(Store& store, const std::function<void(const std::string&, double, double)>& fn) {
    repo::for_each_grid_label(store, fn);
}

void for_each_jurisdiction(Store& store, std::string_view level, const AreaFilter& area,
                           const std::function<void(const JurisdictionFeature&)>& fn) {
    repo::JurisdictionFilter filter;
    filter.level = std::string(level);
    filter.prefix = area.code_prefix;
    filter.prefix_ancestors = true;  // a township's map keeps its county
    filter.bbox = area.bbox;
    JurisdictionFeature j;
    repo::for_each_jurisdiction(store, filter, [&](const repo::JurisdictionRow& r) {
        j.code = r.code;
        j.name = r.name;
        j.parent = r.parent_code.value_or("");
        j.wkb = r.wkb;
        fn(j);
    });
}

std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store) {
    return repo::event_counts_per_grid(store);
}

bool has_events(Store& store) {
    return repo::count_events(store) > 0;
}

void for_each_event(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn) {
    repo::for_each_event_point(store, area, fn);
}

std::vector<std::array<double, 4>> changed_since(Store& store, const std::string& since) {
    // changed features, and every feature of the same layer touching one (the
    // topology step may cut their shared arcs anew); for changed events, the
    // current grid holding them (its event counts changed)
    std::vector<std::array<double, 4>> out;
    const auto add = [&](const std::array<double, 4>& b) { out.push_back(b); };
    repo::changed_grid_boxes(store, since, add);
    repo::changed_jurisdiction_boxes(store, since, add);
    repo::changed_event_boxes(store, since, add);
    repo::current_grid_boxes(store, repo::grids_of_events_assigned_since(store, since), add);
    return out;
}

std::string store_now(Store& store) {
    return repo::now_timestamp(store);
}

namespace {

/// Reads a WKB geometry and widens an envelope by its points.
class WkbBounds {
public:
    explicit WkbBounds(const std::vector<unsigned char>& wkb) : p_(wkb.data()), end_(wkb.data() + wkb.size()) {}

    /// false when the bytes are not a whole geometry
    bool read(int depth = 0) {
        if (depth > 8) return false;
        std::uint8_t order = 0;
        if (!bytes(&order, 1) || order > 1) return false;
        little_ = order == 1;
        std::uint32_t type = 0;
        if (!u32(type)) return false;
        int dims = 2;
        if (type & 0x80000000u) ++dims;  // EWKB Z
        if (type & 0x40000000u) ++dims;  // EWKB M
        if (type & 0x20000000u) {        // EWKB SRID
            std::uint32_t srid = 0;
            if (!u32(srid)) return false;
        }
        type &= 0x0fffffffu;
        if (type >= 1000) {  // ISO: +1000 Z, +2000 M, +3000 ZM
            dims = type >= 3000 ? 4 : 3;
            type %= 1000;
        }
        std::uint32_t n = 0;
        switch (type) {
            case 1:
                return points(1, dims);
            case 2:
                return u32(n) && points(n, dims);
            case 3:
                if (!u32(n)) return false;
                for (std::uint32_t r = 0; r < n; ++r) {
                    std::uint32_t k = 0;
                    if (!u32(k) || !points(k, dims)) return false;
                }
                return true;
            case 4:
            case 5:
            case 6:
            case 7:
                if (!u32(n)) return false;
                for (std::uint32_t i = 0; i < n; ++i)
                    if (!read(depth + 1)) return false;
                return true;
            default:
                return false;
        }
    }
    std::optional<std::array<double, 4>> bounds() const {
        if (!(box_[0] <= box_[2])) return std::nullopt;
        return box_;
    }

private:
    bool bytes(void* out, std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n) return false;
        std::memcpy(out, p_, n);
        p_ += n;
        return true;
    }
    template <class T>
    bool number(T& v) {
        unsigned char b[sizeof(T)];
        if (!bytes(b, sizeof(T))) return false;
        constexpr std::uint16_t one = 1;
        const bool host_little = *reinterpret_cast<const unsigned char*>(&one) == 1;
        if (host_little != little_) std::reverse(b, b + sizeof(T));
        std::memcpy(&v, b, sizeof(T));
        return true;
    }
    bool u32(std::uint32_t& v) { return number(v); }
    bool points(std::uint32_t n, int dims) {
        if (static_cast<std::size_t>(end_ - p_) / (8u * static_cast<unsigned>(dims)) < n) return false;
        for (std::uint32_t i = 0; i < n; ++i) {
            double c[4];
            for (int d = 0; d < dims; ++d)
                if (!number(c[d])) return false;
            if (std::isnan(c[0]) || std::isnan(c[1])) continue;  // an empty point
            box_ = {std::min(box_[0], c[0]), std::min(box_[1], c[1]), std::max(box_[2], c[0]), std::max(box_[3], c[1])};
        }
        return true;
    }

    const unsigned char* p_;
    const unsigned char* end_;
    bool little_ = true;
    static constexpr double inf = std::numeric_limits<double>::infinity();
    std::array<double, 4> box_{inf, inf, -inf, -inf};
};

}  // namespace

std::optional<std::array<double, 4>> wkb_bounds(const std::vector<unsigned char>& wkb) {
    WkbBounds r(wkb);
    if (!r.read()) return std::nullopt;
    return r.bounds();
}

}  // namespace wangge

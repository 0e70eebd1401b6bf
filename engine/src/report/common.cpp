// The report writers' shared helpers (report/common.hpp).
#include "report/common.hpp"

#include "geometry/geos.hpp"
#include "wangge/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace wangge::report::detail {

bool Shape::empty() const {
    switch (type) {
    case point:
    case line: return coords.empty();
    case polygon: return rings.empty();
    default:
        for (const auto& p : parts)
            if (!p.empty()) return false;
        return true;
    }
}

namespace {

class WkbReader {
public:
    WkbReader(const std::vector<unsigned char>& b, std::string_view what) : b_(b), what_(what) {}

    Shape shape(int depth) {
        if (depth > 32) fail("nested too deeply");
        const bool little = byte() == 1;
        std::uint32_t t = u32(little);
        int dims = 2;
        // EWKB flags (PostGIS, SpatiaLite's blobs converted to EWKB) and ISO's +1000s
        if (t & 0x80000000u) ++dims;
        if (t & 0x40000000u) ++dims;
        if (t & 0x20000000u) u32(little);  // SRID
        t &= 0x0fffffffu;
        if (t >= 3000) dims = 4;
        else if (t >= 1000) dims = 3;  // 1000s: Z, 2000s: M
        t %= 1000;
        if (t < 1 || t > 7) fail(fmt::format("unknown geometry type {}", t));
        Shape s;
        s.type = static_cast<Shape::Type>(t);
        switch (s.type) {
        case Shape::point: {
            Pt p = point(little, dims);
            if (!std::isnan(p.x) && !std::isnan(p.y)) s.coords.push_back(p);  // POINT EMPTY is NaN NaN
            break;
        }
        case Shape::line: s.coords = points(little, dims); break;
        case Shape::polygon: {
            const std::uint32_t n = count(little, 4);
            for (std::uint32_t i = 0; i < n; ++i) s.rings.push_back(points(little, dims));
            break;
        }
        default: {
            const std::uint32_t n = count(little, 9);
            for (std::uint32_t i = 0; i < n; ++i) s.parts.push_back(shape(depth + 1));
        }
        }
        return s;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw input_error(fmt::format("{}: bad WKB at byte {}: {}", what_, pos_, why));
    }
    void need(std::size_t n) const {
        if (b_.size() - pos_ < n) fail("truncated");
    }
    unsigned char byte() {
        need(1);
        return b_[pos_++];
    }
    std::uint32_t u32(bool little) {
        need(4);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t c = b_[pos_ + (little ? i : 3 - i)];
            v |= c << (8 * i);
        }
        pos_ += 4;
        return v;
    }
    double f64(bool little) {
        need(8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            const std::uint64_t c = b_[pos_ + (little ? i : 7 - i)];
            v |= c << (8 * i);
        }
        pos_ += 8;
        double d;
        std::memcpy(&d, &v, sizeof d);
        return d;
    }
    /// An element count, checked against the bytes left (each element needs at least
    /// `min_bytes`), so a corrupt count cannot make us reserve gigabytes.
    std::uint32_t count(bool little, std::size_t min_bytes) {
        const std::uint32_t n = u32(little);
        if (n > (b_.size() - pos_) / min_bytes) fail(fmt::format("count {} beyond the data", n));
        return n;
    }
    Pt point(bool little, int dims) {
        Pt p{f64(little), f64(little)};
        for (int i = 2; i < dims; ++i) f64(little);
        return p;
    }
    std::vector<Pt> points(bool little, int dims) {
        const std::uint32_t n = count(little, 8u * static_cast<unsigned>(dims));
        std::vector<Pt> v;
        v.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) v.push_back(point(little, dims));
        return v;
    }

    const std::vector<unsigned char>& b_;
    std::string_view what_;
    std::size_t pos_ = 0;
};

}  // namespace

Shape parse_wkb(const std::vector<unsigned char>& wkb, std::string_view what) {
    WkbReader r(wkb, what);
    Shape s = r.shape(0);
    return s;
}

void flatten(const Shape& s, std::vector<std::vector<std::vector<Pt>>>& polygons, std::vector<std::vector<Pt>>& lines,
             std::vector<Pt>& points) {
    switch (s.type) {
    case Shape::point:
        points.insert(points.end(), s.coords.begin(), s.coords.end());
        break;
    case Shape::line:
        if (!s.coords.empty()) lines.push_back(s.coords);
        break;
    case Shape::polygon:
        if (!s.rings.empty()) polygons.push_back(s.rings);
        break;
    default:
        for (const auto& p : s.parts) flatten(p, polygons, lines, points);
    }
}

std::optional<Pt> centre(const std::vector<unsigned char>& wkb) {
    if (wkb.empty()) return std::nullopt;
    auto& ctx = geos::Context::local();
    const auto g = ctx.from_wkb(wkb.data(), wkb.size());
    if (ctx.is_empty(g.get())) return std::nullopt;
    const auto p = ctx.own(GEOSPointOnSurface_r(ctx.handle(), g.get()), "point on surface");
    double x = 0, y = 0;
    if (ctx.is_empty(p.get()) || !GEOSGeomGetX_r(ctx.handle(), p.get(), &x) || !GEOSGeomGetY_r(ctx.handle(), p.get(), &y))
        return std::nullopt;
    return Pt{x, y};
}


std::string kind_zh(validate::Kind kind) {
    switch (kind) {
    case validate::Kind::gap: return "缝隙";
    case validate::Kind::overlap: return "重叠";
    case validate::Kind::outside: return "越界";
    case validate::Kind::near_miss: return "边界未接合";
    case validate::Kind::multipart: return "多部分";
    case validate::Kind::hole: return "孔洞";
    case validate::Kind::sliver: return "碎片";
    case validate::Kind::invalid: return "几何无效";
    }
    return "?";
}

std::string kind_en(validate::Kind kind) {
    switch (kind) {
    case validate::Kind::gap: return "gap";
    case validate::Kind::overlap: return "overlap";
    case validate::Kind::outside: return "outside";
    case validate::Kind::near_miss: return "near_miss";
    case validate::Kind::multipart: return "multipart";
    case validate::Kind::hole: return "hole";
    case validate::Kind::sliver: return "sliver";
    case validate::Kind::invalid: return "invalid";
    }
    return "?";
}

std::string severity_en(validate::Severity severity) {
    return severity == validate::Severity::error ? "error" : "warning";
}

std::string severity_zh(validate::Severity severity) {
    return severity == validate::Severity::error ? "错误" : "警告";
}

std::string level_zh(std::string_view level) {
    if (level == "county") return "县（市、区）";
    if (level == "township") return "乡镇（街道）";
    if (level == "village") return "村（社区）";
    return std::string(level);
}

std::string change_kind_zh(std::string_view kind) {
    if (kind == "new") return "新建";
    if (kind == "reshaped") return "调整边界";
    if (kind == "split") return "拆分";
    if (kind == "merged") return "合并";
    if (kind == "retired") return "撤销";
    return std::string(kind);
}

std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    const int len = static_cast<int>(digits.size());
    for (int i = 0; i < len; ++i) {
        if (i > 0 && (len - i) % 3 == 0) out += ',';
        out += digits[static_cast<std::size_t>(i)];
    }
    return n < 0 ? "-" + out : out;
}

std::string fixed(double v, int decimals) {
    if (!std::isfinite(v)) return "–";
    return fmt::format("{:.{}f}", v, decimals);
}

std::string percent(double ratio, int decimals) {
    return fixed(ratio * 100.0, decimals) + "%";
}

std::string km2(double m2) {
    return fixed(m2 / 1e6, m2 < 1e5 ? 3 : 2);
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

}  // namespace wangge::report::detail

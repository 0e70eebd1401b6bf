// Glyph ranges for MapLibre from a local font: FreeType renders each code point at
// 24 px (anti-aliased coverage, unhinted as node-fontnik renders), tiny-sdf's exact
// Euclidean distance transform turns the coverage into a signed distance field, and
// protozero writes the "glyphs" message MapLibre's parse_glyph_pbf.ts reads:
//   glyphs    { repeated fontstack stacks = 1; }
//   fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
//   glyph     { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//               sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
#include <fmt/format.h>

#include "serve/glyphs.hpp"

// clang-format off
#include <ft2build.h>
#include FT_FREETYPE_H
// clang-format on

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <protozero/pbf_writer.hpp>
#include <utility>

#include "wangge/error.hpp"

namespace wangge::tiles::serve {

namespace fs = std::filesystem;

namespace glyph_pbf {

namespace {

constexpr double inf = 1e20;

// Squared distance transform of one line of `grid` (Felzenszwalb & Huttenlocher,
// "Distance Transforms of Sampled Functions", 2012): the lower envelope of the
// parabolas (q - p)^2 + f(p). f, v, z are scratch of length n, n, n + 1.
void edt_1d(double* grid, std::ptrdiff_t stride, int n, double* f, int* v, double* z) {
    for (int q = 0; q < n; ++q) f[q] = grid[q * stride];
    v[0] = 0;
    z[0] = -inf;
    z[1] = inf;
    int k = 0;
    for (int q = 1; q < n; ++q) {
        // drop the parabolas hidden by q's (z[0] = -inf stops this at k = 0)
        double s = 0;
        for (;;) {
            const int r = v[k];
            s = (f[q] - f[r] + static_cast<double>(q) * q - static_cast<double>(r) * r) / (2.0 * (q - r));
            if (s > z[k]) break;
            --k;
        }
        ++k;
        v[k] = q;
        z[k] = s;
        z[k + 1] = inf;
    }
    k = 0;
    for (int q = 0; q < n; ++q) {
        while (z[k + 1] < q) ++k;
        const int r = v[k];
        grid[q * stride] = f[r] + static_cast<double>(q - r) * (q - r);
    }
}

void edt_2d(std::vector<double>& grid, int width, int height) {
    const int n = std::max(width, height);
    std::vector<double> f(static_cast<std::size_t>(n)), z(static_cast<std::size_t>(n) + 1);
    std::vector<int> v(static_cast<std::size_t>(n));
    for (int x = 0; x < width; ++x) edt_1d(grid.data() + x, width, height, f.data(), v.data(), z.data());
    for (int y = 0; y < height; ++y)
        edt_1d(grid.data() + static_cast<std::ptrdiff_t>(y) * width, 1, width, f.data(), v.data(), z.data());
}

}  // namespace

std::vector<std::uint8_t> sdf(const std::uint8_t* coverage, int width, int height, std::ptrdiff_t pitch) {
    const int w = width + 2 * border;
    const int h = height + 2 * border;
    const std::size_t size = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    // Squared distances to the nearest pixel outside (inner) and inside (outer) the
    // glyph; a partly covered pixel has its edge at coverage 1/2, (a - 1/2) px away.
    std::vector<double> outer(size, inf), inner(size, 0.0);
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* row = coverage + static_cast<std::ptrdiff_t>(y) * pitch;
        for (int x = 0; x < width; ++x) {
            const std::size_t j = static_cast<std::size_t>(y + border) * static_cast<std::size_t>(w) +
                                  static_cast<std::size_t>(x + border);
            const double a = row[x] / 255.0;
            if (row[x] == 255) {
                outer[j] = 0;
                inner[j] = inf;
            } else if (row[x] != 0) {
                const double d = 0.5 - a;
                outer[j] = d > 0 ? d * d : 0;
                inner[j] = d < 0 ? d * d : 0;
            }
        }
    }
    edt_2d(outer, w, h);
    edt_2d(inner, w, h);
    std::vector<std::uint8_t> out(size);
    for (std::size_t i = 0; i < size; ++i) {
        const double d = std::sqrt(outer[i]) - std::sqrt(inner[i]);
        const double value = std::round(255.0 - 255.0 * (d / radius + cutoff));
        out[i] = static_cast<std::uint8_t>(std::clamp(value, 0.0, 255.0));
    }
    return out;
}

}  // namespace glyph_pbf

namespace {

// A glyph's bitmap beyond this (at 24 px per em) is a broken font: such a glyph keeps
// its advance but gets no bitmap, as node-fontnik does.
constexpr unsigned max_dimension = 256;

struct FtLibrary {
    FT_Library lib = nullptr;
    FtLibrary() {
        if (const FT_Error e = FT_Init_FreeType(&lib)) throw error(fmt::format("FreeType cannot start (error {})", e));
    }
    ~FtLibrary() { FT_Done_FreeType(lib); }
    FtLibrary(const FtLibrary&) = delete;
    FtLibrary& operator=(const FtLibrary&) = delete;
};

struct FtFace {
    FT_Face face = nullptr;
    FtFace() = default;
    FtFace(FtFace&& o) noexcept : face(std::exchange(o.face, nullptr)) {}
    FtFace& operator=(FtFace&& o) noexcept {
        std::swap(face, o.face);
        return *this;
    }
    ~FtFace() {
        if (face) FT_Done_Face(face);
    }
};

FtFace open_face(FT_Library lib, const fs::path& file, FT_Long index) {
    FtFace f;
    if (const FT_Error e = FT_New_Face(lib, file.c_str(), index, &f.face)) {
        f.face = nullptr;
        throw io_error(fmt::format("font file {}: not a font FreeType can read (error {})", file.string(), e));
    }
    return f;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The collection's Simplified Chinese face, else its first.
FtFace choose_face(FT_Library lib, const fs::path& file) {
    FtFace first = open_face(lib, file, 0);
    const FT_Long faces = first.face->num_faces;
    if (first.face->family_name && ends_with(first.face->family_name, " SC")) return first;
    for (FT_Long i = 1; i < faces; ++i) {
        FtFace f = open_face(lib, file, i);
        if (f.face->family_name && ends_with(f.face->family_name, " SC")) return f;
    }
    return first;
}

fs::path find_font(const fs::path& font) {
    if (!font.empty()) {
        std::error_code ec;
        if (!fs::is_regular_file(font, ec)) throw io_error(fmt::format("font file {}: not found", font.string()));
        return font;
    }
    std::string tried;
    for (const auto& p : Glyphs::known_fonts()) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p;
        tried += (tried.empty() ? "" : ", ") + p.string();
    }
    throw io_error(fmt::format("no font for map labels: none of {} exists (install fonts-noto-cjk)", tried));
}

}  // namespace

struct Glyphs::Impl {
    fs::path file;
    std::string fontstack;
    std::mutex face_mutex;  // FreeType: one thread at a time per FT_Face (and library)
    FtLibrary library;
    FtFace face;
    std::mutex cache_mutex;
    std::map<unsigned, std::string> cache;

    // One glyph message into `stack`; false when the font has no glyph for `cp`.
    bool add_glyph(protozero::pbf_writer& stack, unsigned cp) {
        const FT_UInt index = FT_Get_Char_Index(face.face, cp);
        if (index == 0) return false;
        if (FT_Load_Glyph(face.face, index, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP | FT_LOAD_RENDER)) return false;
        const FT_GlyphSlot slot = face.face->glyph;
        const FT_Bitmap& bm = slot->bitmap;
        const auto advance = static_cast<std::uint32_t>(std::max<FT_Pos>(0, (slot->metrics.horiAdvance + 32) / 64));
        unsigned width = bm.width;
        unsigned height = bm.rows;
        const bool drawn = width > 0 && height > 0 && width <= max_dimension && height <= max_dimension &&
                           bm.pixel_mode == FT_PIXEL_MODE_GRAY && bm.num_grays == 256;
        protozero::pbf_writer g(stack, 3);
        g.add_uint32(1, cp);
        if (drawn) {
            const auto field = glyph_pbf::sdf(bm.buffer, static_cast<int>(width), static_cast<int>(height), bm.pitch);
            g.add_bytes(2, reinterpret_cast<const char*>(field.data()), field.size());
        } else {
            width = height = 0;
        }
        g.add_uint32(3, width);
        g.add_uint32(4, height);
        g.add_sint32(5, drawn ? slot->bitmap_left : 0);
        g.add_sint32(6, drawn ? slot->bitmap_top - glyph_pbf::baseline_offset : 0);
        g.add_uint32(7, advance);
        return true;
    }

    std::string make_range(unsigned start) {
        std::string out;
        protozero::pbf_writer glyphs(out);
        {
            protozero::pbf_writer stack(glyphs, 1);
            stack.add_string(1, fontstack);
            stack.add_string(2, fmt::format("{}-{}", start, start + 255));
            for (unsigned cp = start; cp <= start + 255; ++cp) add_glyph(stack, cp);
        }
        return out;
    }
};

Glyphs::Glyphs(const fs::path& font) : impl_(std::make_unique<Impl>()) {
    impl_->file = find_font(font);
    impl_->face = choose_face(impl_->library.lib, impl_->file);
    FT_Face f = impl_->face.face;
    if (!FT_IS_SCALABLE(f))
        throw io_error(
            fmt::format("font file {}: has no outlines (bitmap fonts cannot make SDF glyphs)", impl_->file.string()));
    if (const FT_Error e = FT_Set_Pixel_Sizes(f, 0, glyph_pbf::font_size))
        throw io_error(fmt::format("font file {}: cannot be set to {} px (error {})", impl_->file.string(),
                                   glyph_pbf::font_size, e));
    impl_->fontstack = f->family_name ? f->family_name : impl_->file.stem().string();
    if (f->style_name && *f->style_name) impl_->fontstack += std::string(" ") + f->style_name;
}

Glyphs::~Glyphs() = default;

const std::string& Glyphs::fontstack() const {
    return impl_->fontstack;
}

const fs::path& Glyphs::file() const {
    return impl_->file;
}

std::optional<std::string> Glyphs::range(unsigned start) {
    if (start % 256 != 0 || start >= 65536) return std::nullopt;
    {
        const std::lock_guard lock(impl_->cache_mutex);
        if (const auto it = impl_->cache.find(start); it != impl_->cache.end()) return it->second;
    }
    const std::lock_guard face_lock(impl_->face_mutex);
    {
        // another thread may have made it while this one waited for the face
        const std::lock_guard lock(impl_->cache_mutex);
        if (const auto it = impl_->cache.find(start); it != impl_->cache.end()) return it->second;
    }
    std::string pbf = impl_->make_range(start);
    const std::lock_guard lock(impl_->cache_mutex);
    return impl_->cache.emplace(start, std::move(pbf)).first->second;
}

const std::vector<fs::path>& Glyphs::known_fonts() {
    static const std::vector<fs::path> fonts = {
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  // fonts-noto-cjk
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",            // fonts-wqy-zenhei
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",          // fonts-wqy-microhei
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",         // fonts-dejavu-core: Latin and digits only
    };
    return fonts;
}

}  // namespace wangge::tiles::serve

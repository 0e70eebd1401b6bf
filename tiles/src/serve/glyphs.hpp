// serve/glyphs.hpp — glyph ranges (the SDF glyph PBFs MapLibre loads for labels)
// made from a local font file, so that Chinese names and digit codes render with no
// internet. Internal to the server.
//
// Format and conventions are MapLibre's (parse_glyph_pbf.ts, shaping.ts, quads.ts) and
// those of the generators it was made for (node-fontnik, tiny-sdf): glyphs rendered at
// 24 px per em, a 3 px border around each bitmap, an 8 px SDF radius with cutoff 0.25
// (the glyph's edge at 0.75 * 255, where MapLibre's shader draws it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::tiles::serve {

class Glyphs {
public:
    /// `font`: a TrueType/OpenType file; in a collection (.ttc) the Simplified Chinese
    /// face (family name ending in " SC"), else the first face. Empty: the first of the
    /// known system fonts found (known_fonts()). Throws io_error naming the file when it
    /// is missing or not a font, or naming the paths tried when none is found.
    explicit Glyphs(const std::filesystem::path& font = {});
    ~Glyphs();
    Glyphs(const Glyphs&) = delete;
    Glyphs& operator=(const Glyphs&) = delete;

    /// The font stack name styles should use: "<family> <style>" of the face, e.g.
    /// "Noto Sans CJK SC Regular".
    const std::string& fontstack() const;
    /// The font file in use.
    const std::filesystem::path& file() const;
    /// The PBF of the range [start, start + 255] (start a multiple of 256, below
    /// 65536); nullopt when start is not such a number. Code points the font lacks are
    /// left out (a range with none still has its fontstack). Computed once, then cached;
    /// thread-safe.
    std::optional<std::string> range(unsigned start);

    /// The system fonts tried, in order, when no font is given: Debian's fonts-noto-cjk,
    /// fonts-wqy-zenhei, fonts-wqy-microhei, then DejaVu Sans (Latin and digits only).
    static const std::vector<std::filesystem::path>& known_fonts();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

namespace glyph_pbf {
inline constexpr int font_size = 24;  ///< pixels per em the glyphs are rendered at
inline constexpr int border = 3;      ///< MapLibre's GLYPH_PBF_BORDER
inline constexpr double radius = 8;   ///< pixels of distance the 0..255 scale spans
inline constexpr double cutoff = 0.25;
/// `top` is the bitmap's top above the baseline minus this: MapLibre puts a glyph's pen
/// 17 px above the line's middle (SHAPING_DEFAULT_OFFSET), calibrated on a font whose
/// ascender is about 25 px at 24 px per em.
inline constexpr int baseline_offset = 25;

/// The signed distance field of a `width` x `height` coverage bitmap (0 = empty, 255 =
/// full, rows top down), as tiny-sdf computes it: exact Euclidean distances (the
/// Felzenszwalb-Huttenlocher transform) to the edge at coverage 1/2, the bitmap
/// surrounded by `border` empty pixels; 255 - 255 * (d / radius + cutoff), rounded and
/// clamped, d > 0 outside. Size (width + 2 border) x (height + 2 border).
std::vector<std::uint8_t> sdf(const std::uint8_t* coverage, int width, int height, std::ptrdiff_t pitch);
}  // namespace glyph_pbf

}  // namespace wangge::tiles::serve

// serve/glyphs.hpp — glyph ranges (the SDF glyph PBFs MapLibre loads for labels)
// made from a local font file, so that Chinese names and digit codes render with no
// internet. Internal to the server.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wangge::tiles::serve {

class Glyphs {
public:
    /// `font`: a TrueType/OpenType file (collections: the first face); empty: the
    /// first of the known system CJK fonts found. Throws io_error when none.
    explicit Glyphs(const std::filesystem::path& font = {});
    ~Glyphs();
    Glyphs(const Glyphs&) = delete;
    Glyphs& operator=(const Glyphs&) = delete;

    /// The font stack name styles should use.
    const std::string& fontstack() const;
    /// The PBF of the range [start, start + 255] (start a multiple of 256, below
    /// 65536); nullopt when start is not such a number. Cached; thread-safe.
    std::optional<std::string> range(unsigned start);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::tiles::serve

// STUB (lead, session scaffolding): replaced by the viewer helper this session.
#include "serve/style.hpp"

namespace wangge::tiles::serve {

nlohmann::json map_style(const SourceInfo& info, const std::string& tilejson_url, const std::string& glyphs_url) {
    return {{"version", 8},
            {"name", info.tileset.name},
            {"glyphs", glyphs_url},
            {"sources", {{"wangge", {{"type", "vector"}, {"url", tilejson_url}}}}},
            {"layers", nlohmann::json::array()}};
}

}  // namespace wangge::tiles::serve

// serve/style.hpp — the MapLibre GL style of a tileset served by wangge. Internal
// to the server.
#pragma once

#include "serve/source.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace wangge::tiles::serve {

/// A MapLibre style (version 8) drawing every layer of `info`: `tilejson_url` is the
/// source's TileJSON URL (absolute or server-relative), `glyphs_url` the
/// "{fontstack}/{range}.pbf" template.
nlohmann::json map_style(const SourceInfo& info, const std::string& tilejson_url, const std::string& glyphs_url);

}  // namespace wangge::tiles::serve

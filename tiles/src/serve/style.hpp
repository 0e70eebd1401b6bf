// serve/style.hpp — the MapLibre GL style of a tileset served by wangge. Internal
// to the server.
//
// One vector source "wangge" and a plain background (no basemap: nothing is loaded
// from outside the server). A style layer is made only for a tile layer listed in
// the tileset (its vector_layers), and a paint expression reads only fields that
// layer lists:
//   counties-fill/-line, townships-fill/-line, villages-fill/-line  outlines by level;
//   grids-events   grids filled by events per 1,000 households (from `events` and
//                  `households`; grids without households grey);
//   grids-platform the platform with most events (ev_governance, ev_market,
//                  ev_enforcement, ev_service), hidden: the viewer switches to it;
//   grids-line, events (circles, radius by `count` where aggregated),
//   grid-labels (code), village-labels, township-labels, county-labels (name).
// Every layer carries metadata {"wangge:group": tile layer, "wangge:legend": [[text,
// colour], ...] where the colour means something}: the viewer builds its legend and
// toggles from it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "serve/source.hpp"

namespace wangge::tiles::serve {

/// The font stack of label layers when the caller names none (the glyphs served
/// from Noto Sans CJK; serve/glyphs.hpp's Glyphs::fontstack() gives the real one).
inline constexpr const char* default_fontstack = "Noto Sans CJK SC Regular";

/// A MapLibre style (version 8) drawing every layer of `info`: `tilejson_url` is the
/// source's TileJSON URL (absolute or server-relative), `glyphs_url` the
/// "{fontstack}/{range}.pbf" template, `fontstack` the one font stack of all labels.
nlohmann::json map_style(const SourceInfo& info, const std::string& tilejson_url, const std::string& glyphs_url,
                         const std::string& fontstack = default_fontstack);

}  // namespace wangge::tiles::serve

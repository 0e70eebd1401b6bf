// wangge/text.hpp — text encodings of attribute data.
//
// Shapefiles from Chinese GIS offices often carry GBK/GB18030 text in the DBF
// with no .cpg file; read as Latin-1 that becomes mojibake. The importer reads
// raw bytes and decides per file: valid UTF-8 stays UTF-8, otherwise the text is
// decoded as GB18030 (a superset of GBK and GB2312); text that is neither is an
// error, never stored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wangge::text {

bool is_valid_utf8(std::string_view s);
bool is_ascii(std::string_view s);
/// `s` without the spaces, tabs and line breaks around it.
std::string trim(std::string_view s);

/// Convert `s` from encoding `from` (an iconv name: "GB18030", "GBK", "CP936",
/// "UTF-8", "ISO-8859-1"...) to UTF-8. nullopt if `s` is not valid in `from`.
/// Throws usage_error when the encoding name is unknown.
std::optional<std::string> to_utf8(std::string_view s, const std::string& from);

/// Text from a file made safe to show in a message: printable UTF-8 is kept; control
/// bytes (\n, \t, \r, \xNN), bytes that are not valid UTF-8 (\xNN), C1 controls and
/// bidirectional or invisible format characters (\uNNNN) are escaped; after `max`
/// characters the rest is cut and "…" ends it. Never longer than about 6 * max bytes.
std::string escape_for_message(std::string_view s, std::size_t max = 60);
/// escape_for_message between single quotes: 'text'.
std::string quote_for_message(std::string_view s, std::size_t max = 60);

/// Map the names GIS software writes in .cpg files or users type (936, CP936,
/// GBK, gb2312, UTF8...) to a canonical iconv name.
std::string canonical_encoding(std::string_view name);

} // namespace wangge::text

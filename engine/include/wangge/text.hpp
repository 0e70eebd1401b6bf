// wangge/text.hpp — text encodings of attribute data.
//
// Shapefiles from Chinese GIS offices often carry GBK/GB18030 text in the DBF
// with no .cpg file; read as Latin-1 that becomes mojibake. The importer reads
// raw bytes and decides per file: valid UTF-8 stays UTF-8, otherwise the text is
// decoded as GB18030 (a superset of GBK and GB2312); text that is neither is an
// error, never stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wangge::text {

bool is_valid_utf8(std::string_view s);
bool is_ascii(std::string_view s);

/// Convert `s` from encoding `from` (an iconv name: "GB18030", "GBK", "CP936",
/// "UTF-8", "ISO-8859-1"...) to UTF-8. nullopt if `s` is not valid in `from`.
/// Throws usage_error when the encoding name is unknown.
std::optional<std::string> to_utf8(std::string_view s, const std::string& from);

/// Map the names GIS software writes in .cpg files or users type (936, CP936,
/// GBK, gb2312, UTF8...) to a canonical iconv name.
std::string canonical_encoding(std::string_view name);

} // namespace wangge::text

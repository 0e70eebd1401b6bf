// io/csv_out.hpp — CSV written for spreadsheets and scripts (internal to the engine):
// RFC 4180 (comma, CRLF, a field with a comma, quote, CR or LF, or a leading or
// trailing space, quoted, quotes doubled), UTF-8 with a byte order mark so that Excel
// on Chinese Windows reads the names as UTF-8 instead of GBK; and files written whole.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::io {

/// One field, quoted when it needs to be.
std::string csv_field(std::string_view s);

/// A CSV file built in memory: a BOM, the header, then rows.
class CsvText {
public:
    explicit CsvText(const std::vector<std::string>& header);
    void row(const std::vector<std::string>& fields);
    const std::string& text() const noexcept { return text_; }
    /// write_whole(p, text()).
    void write(const std::filesystem::path& p) const;

private:
    std::string text_;
};

/// Write `bytes` to `out` whole: to OUT.tmp, then renamed (io_error naming the file).
void write_whole(const std::filesystem::path& out, std::string_view bytes);

}  // namespace wangge::io

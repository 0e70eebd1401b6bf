// wangge/csv.hpp — reading delimited text fast and in constant memory.
//
// Event files from field apps arrive as CSV with any delimiter and in UTF-8 or
// GBK. CsvReader is the one reader of every command that reads CSV (`events
// import`, `events types load`, `assign`, the tiler's events file), so they all
// agree on what a file holds. It streams a file block by block (memory does not
// grow with the file), splits records with RFC 4180 quoting, and counts physical
// lines so that errors can name them. Text is returned as read; the caller decides
// the encoding.
//
// The rules:
// - A record ends at a line break outside quotes; blank lines are not records.
// - A quote opens a quoted field only at the start of a field (a quote inside an
//   unquoted field is text); in a quoted field a doubled quote is a quote, and the
//   field may hold the delimiter and line breaks.
// - A quoted field is at most `csv_max_field` (64 KiB) and must close before the end
//   of the file. One that does not is a rejected record, with the line it starts on
//   and the reason: the record is the text up to the end of the line where the quote
//   opened, and reading goes on at the next line. A quote left open so never takes
//   more than its own line.
// - Limits (memory is bounded by them, whatever the file): a header line is at most
//   `csv_max_header` (64 KiB) and `csv_max_columns` (1000) columns, or the file is
//   refused (input_error naming line 1 and the limit); a record is at most
//   `csv_max_record` (1 MiB), a field `csv_max_field` (64 KiB) and a record
//   `csv_max_columns` fields, or it is a rejected record with its line and the limit
//   (a record past 1 MiB is dropped, not kept: its text is empty, and reading goes
//   on after the line where it passed the limit).
// - A file that starts with a UTF-16 or UTF-32 byte order mark, or whose first line
//   holds NUL bytes, or that looks like JSON, an SQLite database or a ZIP archive is
//   refused (input_error) saying what it is.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

/// Longest field (a quoted one: the bytes between its quotes) of a record that is kept.
inline constexpr std::size_t csv_max_field = 64 * 1024;
inline constexpr std::size_t csv_max_quoted_field = csv_max_field;
/// Longest record (without its line end); a longer one is rejected and dropped.
inline constexpr std::size_t csv_max_record = 1024 * 1024;
/// Longest header line; a longer one refuses the file.
inline constexpr std::size_t csv_max_header = 64 * 1024;
/// Most columns of a header, and fields of a record.
inline constexpr std::size_t csv_max_columns = 1000;

/// Why a record without quotes breaks a limit (record length, a field's length, the
/// number of fields), or "" when it breaks none. The same reasons as CsvReader gives.
std::string csv_limit_problem(std::string_view record, char delimiter);

/// Split one record (no line break outside quotes) into fields; unquotes.
void split_csv_record(std::string_view line, char delimiter, std::vector<std::string>& fields);

/// One field quoted for a delimited file when it needs it (RFC 4180).
std::string csv_quote(std::string_view field, char delimiter = ',');

/// Guess the delimiter from a header line: the most frequent of , \t ; |
char guess_delimiter(std::string_view header);

/// The column called `name` (trimmed, ASCII case-insensitive), if any.
std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view name);

/// The first of `names` that is a column of `header` (find_column's matching), if any:
/// how an optional column with several usual names (网格编码, grid_code...) is guessed.
std::optional<std::size_t> first_column_of(const std::vector<std::string>& header,
                                           const std::vector<std::string_view>& names);

struct CoordinateColumns {
    std::size_t x = 0, y = 0;
};

/// Throws usage_error when `file`'s name ends as a GDAL vector format's does (GeoJSON,
/// GeoPackage, Shapefile, KML, FlatGeobuf, GML, Excel...): "FILE is a GeoJSON file;
/// `what`". CsvReader refuses such contents whatever the name (JSON, SQLite, ZIP).
void refuse_non_csv(const std::filesystem::path& file, std::string_view what);

/// The columns of a header for a message: each escaped and cut
/// (text::escape_for_message), separated by ", "; past 12 columns, "… (N columns)".
std::string describe_columns(const std::vector<std::string>& header);

/// A longitude (`latitude` false) or latitude as written in a file or on the command
/// line: "" and `value` set, or why it is not usable: not a number, not finite (nan,
/// inf), or outside -180..180 / -90..90. The value is shown short: as written (quoted
/// and cut) when it is not a finite number, else in %.10g form ("1e+308").
std::string parse_coordinate(std::string_view text, bool latitude, double& value);
/// The same rule for a point already read as numbers: "" or why it is not usable.
std::string lon_lat_problem(double lon, double lat);

/// What a command reading an events file (events import, assign, tiles build) asks of
/// its header. Coordinates are always needed; id, type and time only when `need_*`
/// (else they are looked for by name and may be absent; an empty name is not looked for).
struct InputColumnRequest {
    std::string x_field, y_field;                  ///< explicit coordinate columns (--x-field/--y-field); empty: guess
    std::string id_field, type_field, time_field;  ///< column names (--id-field, --type-field, --time-field)
    bool need_id = false, need_type = false, need_time = false;
};

/// The columns chosen, as indexes into the header.
struct InputColumns {
    std::size_t x = 0, y = 0;
    std::optional<std::size_t> id, type, time;
};

/// The one rule for the columns of an events file. Coordinates: `x_field` / `y_field`
/// when given, else the first present of lon, lng, longitude, x, 经度 and of lat,
/// latitude, y, 纬度; id, type, time by their names. Every name is matched trimmed and
/// ASCII case-insensitive. A needed column that is missing throws input_error naming
/// `file`, what was looked for and the header's columns (describe_columns), checked in
/// the order id, type, time, longitude, latitude.
InputColumns choose_input_columns(const std::vector<std::string>& header, const InputColumnRequest& request,
                                  const std::string& file);

/// The longitude and latitude columns of a header (choose_input_columns without id,
/// type and time). Throws input_error naming `file` and the header.
CoordinateColumns coordinate_columns(const std::vector<std::string>& header, const std::string& x_field,
                                     const std::string& y_field, const std::string& file);

/// Text to read as a CSV file (for data held in memory).
struct CsvText {
    std::string text;
    std::string name;  ///< for messages
};

/// Records of a CSV in one block of text, for readers that split fields elsewhere
/// (on worker threads): see CsvReader::read_chunk and for_each_record.
struct CsvChunk {
    struct Record {
        std::size_t begin = 0, size = 0;  ///< in text; without the line end
        std::int64_t line = 0;
        std::string error;  ///< empty, or why the reader rejected it
    };
    std::string text;
    char delimiter = ',';
    bool simple = true;           ///< no quotes: every non-blank line of text is a record
    std::int64_t first_line = 0;  ///< the line text starts on (simple chunks)
    std::vector<Record> records;  ///< the records (chunks that are not simple)
};

/// Call fn(std::string_view record, std::int64_t line, const std::string& error) for
/// every record of a chunk, in order.
template <class Fn>
void for_each_record(const CsvChunk& chunk, Fn&& fn) {
    if (!chunk.simple) {
        for (const auto& r : chunk.records) fn(std::string_view(chunk.text).substr(r.begin, r.size), r.line, r.error);
        return;
    }
    static const std::string none;
    const char* p = chunk.text.data();
    const char* const end = p + chunk.text.size();
    for (std::int64_t line = chunk.first_line; p < end; ++line) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const char* e = nl ? nl : end;
        const char* le = (e > p && e[-1] == '\r') ? e - 1 : e;
        const std::string_view rec(p, static_cast<std::size_t>(le - p));
        if (rec.size() >= csv_max_columns) {  // shorter records are within every limit
            const std::string why = csv_limit_problem(rec, chunk.delimiter);
            if (!why.empty())
                fn(rec.size() > csv_max_record ? std::string_view() : rec, line, why);
            else
                fn(rec, line, none);
        } else if (!rec.empty()) {
            fn(rec, line, none);
        }
        p = nl ? nl + 1 : end;
    }
}

class CsvReader {
public:
    /// delimiter 0: guess from the first line.
    explicit CsvReader(const std::filesystem::path& file, char delimiter = 0);
    explicit CsvReader(CsvText text, char delimiter = 0);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    const std::vector<std::string>& header() const noexcept { return header_; }
    /// The header record as in the file (without a UTF-8 BOM and the line end).
    const std::string& header_line() const noexcept { return header_line_; }
    bool had_bom() const noexcept { return bom_; }
    char delimiter() const noexcept { return delimiter_; }
    /// Next record; false at the end. `line` is the physical line it starts on (1 =
    /// header). A rejected record comes with `error` set (and its fields as far as
    /// they could be split); otherwise `error` is empty.
    bool next(std::vector<std::string>& fields, std::int64_t& line, std::string& error);
    /// Next good record, skipping rejected ones (counted by skipped()).
    bool next(std::vector<std::string>& fields, std::int64_t& line);
    std::int64_t skipped() const noexcept { return skipped_; }
    /// The next records, about `bytes` of text, as one chunk; false at the end.
    bool read_chunk(CsvChunk& chunk, std::size_t bytes);
    /// Bytes read so far and the file size, for progress.
    std::uint64_t position() const noexcept { return consumed_; }
    std::uint64_t size() const noexcept { return size_; }

private:
    void read_header(char delimiter);
    bool next_raw(std::string_view& record, std::int64_t& line, std::string& error);
    bool fill();
    void skip_line();
    void refuse_if_not_text();

    std::FILE* f_ = nullptr;
    std::string buf_;
    std::size_t pos_ = 0;
    std::size_t limit_ = csv_max_record;  ///< longest record next_raw keeps
    bool eof_ = false;
    char delimiter_ = 0;
    bool bom_ = false;
    std::vector<std::string> header_;
    std::string header_line_;
    std::int64_t line_ = 0, skipped_ = 0;
    std::uint64_t consumed_ = 0, size_ = 0;
    std::string path_;
};

} // namespace wangge

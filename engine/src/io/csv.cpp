#include "wangge/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>

#include "wangge/error.hpp"
#include "wangge/text.hpp"

namespace wangge {

namespace {

constexpr std::size_t read_size = 1 << 20;

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// Delimiters a field may start after: the one given, or, before it is known (the
/// header), any of those guess_delimiter chooses from.
bool is_delimiter(char c, char d) {
    return d ? c == d : (c == ',' || c == '\t' || c == ';' || c == '|');
}

std::string size_text(std::size_t bytes) {
    return bytes >= 1024 * 1024 ? fmt::format("{} MiB", bytes / (1024 * 1024)) : fmt::format("{} KiB", bytes / 1024);
}

std::string too_long_message() {
    return fmt::format("line is longer than {} (the limit for a CSV record)", size_text(csv_max_record));
}

std::string field_too_long_message(std::size_t field) {
    return fmt::format("field {} is longer than {} (the limit for a CSV field)", field, size_text(csv_max_field));
}

std::string too_many_fields_message() {
    return fmt::format("more than {} fields (the limit for a CSV record)", csv_max_columns);
}

}  // namespace

std::string csv_limit_problem(std::string_view rec, char d) {
    if (rec.size() > csv_max_record) return too_long_message();
    std::size_t field = 1, start = 0;
    for (;;) {
        const std::size_t e = std::min(rec.find(d, start), rec.size());
        if (e - start > csv_max_field) return field_too_long_message(field);
        if (e == rec.size()) return {};
        if (++field > csv_max_columns) return too_many_fields_message();
        start = e + 1;
    }
}

void refuse_non_csv(const std::filesystem::path& file, std::string_view what) {
    static const std::pair<const char*, const char*> formats[] = {
        {".geojson", "GeoJSON"}, {".json", "GeoJSON"},   {".geojsons", "GeoJSON"}, {".gpkg", "GeoPackage"},
        {".shp", "Shapefile"},   {".dbf", "Shapefile"},  {".kml", "KML"},          {".kmz", "KML"},
        {".gml", "GML"},         {".fgb", "FlatGeobuf"}, {".sqlite", "SQLite"},    {".db", "SQLite"},
        {".xlsx", "Excel"},      {".xls", "Excel"},      {".ods", "OpenDocument"}, {".zip", "ZIP"},
        {".gdb", "FileGDB"},     {".tab", "MapInfo"},    {".mif", "MapInfo"},      {".parquet", "Parquet"},
        {".pmtiles", "PMTiles"}, {".mbtiles", "MBTiles"}};
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& [e, name] : formats)
        if (ext == e) throw usage_error(fmt::format("{} is a {} file; {}", file.string(), name, what));
}

std::string describe_columns(const std::vector<std::string>& header) {
    constexpr std::size_t shown = 12;
    std::string out;
    for (std::size_t i = 0; i < header.size() && i < shown; ++i)
        out += (i ? ", " : "") + text::escape_for_message(header[i], 40);
    if (header.size() > shown) out += fmt::format(", … ({} columns)", header.size());
    return out;
}

std::string parse_coordinate(std::string_view s, bool latitude, double& v) {
    const char* what = latitude ? "latitude" : "longitude";
    const std::string_view t = trim(s);
    const char* b = t.data();
    const char* e = b + t.size();
    if (b < e && *b == '+') ++b;
    const auto [p, ec] = std::from_chars(b, e, v);
    if (t.empty() || p != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return fmt::format("{} {} is not a number", what, text::quote_for_message(t, 30));
    if (ec == std::errc::result_out_of_range)
        return fmt::format("{} {} is out of range ({})", what, text::quote_for_message(t, 30),
                           latitude ? "-90..90" : "-180..180");
    if (!std::isfinite(v))
        return fmt::format("{} {} is not a number (not finite)", what, text::quote_for_message(t, 30));
    return lon_lat_problem(latitude ? 0 : v, latitude ? v : 0);
}

std::string lon_lat_problem(double lon, double lat) {
    for (const bool latitude : {false, true}) {
        const double v = latitude ? lat : lon;
        const double limit = latitude ? 90 : 180;
        const char* what = latitude ? "latitude" : "longitude";
        if (!std::isfinite(v)) return fmt::format("{} {} is not a number (not finite)", what, v);
        if (v < -limit || v > limit)
            return fmt::format("{} {:.10g} is out of range ({})", what, v, latitude ? "-90..90" : "-180..180");
    }
    return {};
}

void split_csv_record(std::string_view line, char d, std::vector<std::string>& fields) {
    fields.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && cur.empty() && !was_quoted) {
            quoted = was_quoted = true;
        } else if (c == d) {
            fields.push_back(std::move(cur));
            cur.clear();
            was_quoted = false;
        } else if (c != '\r' || i + 1 != line.size()) {
            cur += c;
        }
    }
    fields.push_back(std::move(cur));
}

std::string csv_quote(std::string_view s, char d) {
    const char special[] = {d, '"', '\n', '\r', '\0'};
    if (s.find_first_of(special) == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

char guess_delimiter(std::string_view header) {
    const std::array<char, 4> cands{',', '\t', ';', '|'};
    char best = ',';
    std::size_t best_n = 0;
    for (char c : cands) {
        std::size_t n = 0;
        bool q = false;
        for (char h : header) {
            if (h == '"') q = !q;
            else if (!q && h == c) ++n;
        }
        if (n > best_n) {
            best_n = n;
            best = c;
        }
    }
    return best;
}

std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (same_name(trim(header[i]), trim(name))) return i;
    return std::nullopt;
}

std::optional<std::size_t> first_column_of(const std::vector<std::string>& header,
                                           const std::vector<std::string_view>& names) {
    for (const auto name : names)
        if (auto i = find_column(header, name)) return i;
    return std::nullopt;
}

InputColumns choose_input_columns(const std::vector<std::string>& header, const InputColumnRequest& req,
                                  const std::string& file) {
    const auto cols = [&] { return describe_columns(header); };
    auto named = [&](const std::string& name, bool need, const char* option) -> std::optional<std::size_t> {
        if (name.empty() && !need) return std::nullopt;
        if (auto i = find_column(header, name)) return i;
        if (!need) return std::nullopt;
        throw input_error(fmt::format("{}: no column {} ({}); its columns are: {}", file, text::quote_for_message(name),
                                      option, cols()));
    };
    auto guessed = [&](const std::string& given, std::initializer_list<const char*> names, const char* what,
                       const char* option) {
        if (!given.empty()) return *named(given, true, option);
        for (const char* n : names)
            if (auto i = find_column(header, n)) return *i;
        std::string list;
        for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
        throw input_error(fmt::format("{}: no {} column (one of {}; or name it with {}); its columns are: {}", file,
                                      what, list, option, cols()));
    };
    InputColumns c;
    c.id = named(req.id_field, req.need_id, "--id-field");
    c.type = named(req.type_field, req.need_type, "--type-field");
    c.time = named(req.time_field, req.need_time, "--time-field");
    c.x = guessed(req.x_field, {"lon", "lng", "longitude", "x", "经度"}, "longitude", "--x-field");
    c.y = guessed(req.y_field, {"lat", "latitude", "y", "纬度"}, "latitude", "--y-field");
    return c;
}

CoordinateColumns coordinate_columns(const std::vector<std::string>& header, const std::string& x_field,
                                     const std::string& y_field, const std::string& file) {
    InputColumnRequest req;
    req.x_field = x_field;
    req.y_field = y_field;
    const auto c = choose_input_columns(header, req, file);
    return {c.x, c.y};
}

CsvReader::CsvReader(const std::filesystem::path& file, char delimiter) : path_(file.string()) {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) throw io_error(fmt::format("{}: cannot open", path_));
    std::error_code ec;
    size_ = std::filesystem::file_size(file, ec);
    read_header(delimiter);
}

CsvReader::CsvReader(CsvText text, char delimiter)
    : buf_(std::move(text.text)), eof_(true), path_(std::move(text.name)) {
    size_ = buf_.size();
    read_header(delimiter);
}

CsvReader::~CsvReader() {
    if (f_) std::fclose(f_);
}

void CsvReader::refuse_if_not_text() {
    if (buf_.size() < 16 && !eof_) fill();
    const std::string_view head = std::string_view(buf_).substr(pos_, 16);
    auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
    auto refuse = [&](const char* what) {
        throw input_error(fmt::format("{} is not a CSV file: it looks like {}", path_, what));
    };
    if (starts(std::string_view("\xFF\xFE\0\0", 4)) || starts(std::string_view("\0\0\xFE\xFF", 4)))
        throw input_error(fmt::format("{} is UTF-32; save it as UTF-8 or GBK", path_));
    if (starts("\xFF\xFE") || starts("\xFE\xFF"))
        throw input_error(fmt::format("{} is UTF-16; save it as UTF-8 or GBK", path_));
    if (starts(std::string_view("SQLite format 3\0", 16))) refuse("an SQLite database (a GeoPackage?)");
    if (starts("PK\x03\x04")) refuse("a ZIP archive (an .xlsx workbook or zipped files?)");
    std::string_view rest = head;
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    const auto first = rest.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (rest[first] == '{' || rest[first] == '[')) refuse("JSON (GeoJSON?)");
}

void CsvReader::read_header(char delimiter) {
    refuse_if_not_text();
    std::string_view head;
    std::int64_t line = 0;
    std::string error;
    delimiter_ = delimiter;  // 0 while reading the header: a field may start after any candidate
    limit_ = csv_max_header;
    const bool any = next_raw(head, line, error);
    limit_ = csv_max_record;
    if (!any) throw input_error(fmt::format("{}: empty file (no header line)", path_));
    if (error == too_long_message())
        throw input_error(fmt::format("{}: line {} (the header) is longer than {} (the limit for a CSV header)", path_,
                                      line, size_text(csv_max_header)));
    if (head.find('\0') != std::string_view::npos)
        throw input_error(
            fmt::format("{} is not a text CSV: its first line holds NUL bytes (UTF-16 without a byte "
                        "order mark, or not text at all); save it as UTF-8 or GBK",
                        path_));
    if (!error.empty()) throw input_error(fmt::format("{}: line {} (the header): {}", path_, line, error));
    header_line_ = head;
    if (header_line_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        header_line_.erase(0, 3);
        bom_ = true;
    }
    delimiter_ = delimiter ? delimiter : guess_delimiter(header_line_);
    split_csv_record(header_line_, delimiter_, header_);
    if (header_.size() > csv_max_columns)
        throw input_error(
            fmt::format("{}: line {} (the header) has {} columns, more than the limit of {} "
                        "columns",
                        path_, line, header_.size(), csv_max_columns));
}

bool CsvReader::fill() {
    if (eof_ || !f_) {
        eof_ = true;
        return false;
    }
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    const std::size_t old = buf_.size();
    buf_.resize(old + read_size);
    const std::size_t n = std::fread(buf_.data() + old, 1, read_size, f_);
    buf_.resize(old + n);
    if (n == 0) eof_ = true;
    return n > 0;
}

void CsvReader::skip_line() {
    for (;;) {
        const auto nl = buf_.find('\n', pos_);
        if (nl != std::string::npos) {
            consumed_ += nl + 1 - pos_;
            pos_ = nl + 1;
            return;
        }
        consumed_ += buf_.size() - pos_;
        pos_ = buf_.size();
        if (!fill()) return;
    }
}

bool CsvReader::next_raw(std::string_view& record, std::int64_t& line, std::string& error) {
    error.clear();
    const bool header = delimiter_ == 0;  // fields are split (and checked) once the delimiter is known
    for (;;) {
        // scan one record from pos_; offsets are relative to pos_, which fill() moves
        std::size_t i = 0, quote_at = 0, newlines = 0, field_at = 0, field = 1;
        bool quoted = false, field_quoted = false, field_start = true;
        std::size_t end = 0;    // record end (a line end or the end of the file)
        bool bad = false;       // a quote left open: the record ends with the quote's line
        bool too_long = false;  // past limit_: the record is dropped
        auto end_field = [&](std::size_t at) {
            if (header || !error.empty()) return;
            if (!field_quoted && at - field_at > csv_max_field) error = field_too_long_message(field);
        };
        for (;;) {
            if (pos_ + i + 1 >= buf_.size() && !eof_) {  // one byte of look-ahead for a doubled quote
                fill();
                continue;
            }
            if (pos_ + i >= buf_.size()) {
                if (i == 0) return false;
                if (quoted) {
                    error = "quoted field not closed before the end of the file";
                    bad = true;
                } else {
                    end_field(i);
                }
                end = i;
                break;
            }
            if (i > limit_) {
                too_long = true;
                break;
            }
            const char c = buf_[pos_ + i];
            if (quoted) {
                if (c == '"') {
                    if (pos_ + i + 1 < buf_.size() && buf_[pos_ + i + 1] == '"')
                        ++i;
                    else
                        quoted = false;
                } else if (c == '\n') {
                    ++newlines;
                }
                if (quoted && i - quote_at > csv_max_field) {
                    error = fmt::format("quoted field runs past {} without closing", size_text(csv_max_field));
                    bad = true;
                    break;
                }
            } else if (c == '\n') {
                end_field(i > 0 && buf_[pos_ + i - 1] == '\r' ? i - 1 : i);
                end = i;
                break;
            } else if (c == '"' && field_start) {
                quoted = field_quoted = true;
                quote_at = i;
            }
            field_start = !quoted && is_delimiter(c, delimiter_);
            if (field_start && !header) {
                end_field(i);
                field_at = i + 1;
                field_quoted = false;
                if (++field > csv_max_columns && error.empty()) error = too_many_fields_message();
            }
            ++i;
        }
        line = line_ + 1;
        std::size_t next = end + 1;  // where reading goes on
        if (bad) {
            // the record ends with the line where its quote opened; reading goes on after it
            auto nl = buf_.find('\n', pos_ + quote_at);
            while (nl == std::string::npos && buf_.size() - pos_ <= limit_ && fill())
                nl = buf_.find('\n', pos_ + quote_at);
            const std::size_t opened_on =
                static_cast<std::size_t>(std::count(buf_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                                    buf_.begin() + static_cast<std::ptrdiff_t>(pos_ + quote_at), '\n'));
            newlines = opened_on;
            if (nl == std::string::npos && !eof_) {
                too_long = true;  // the quote's line itself runs past the limit
                i = buf_.size() - pos_;
            } else {
                if (opened_on > 0)
                    error += fmt::format(" (the quote opens on line {})", line + static_cast<std::int64_t>(opened_on));
                end = nl == std::string::npos ? buf_.size() - pos_ : nl - pos_;
                next = end + 1;
            }
        }
        if (too_long) {
            // dropped: nothing of it is kept; reading goes on after the line where it passed the limit
            consumed_ += i;
            pos_ += i;
            skip_line();
            line_ += static_cast<std::int64_t>(newlines) + 1;
            error = too_long_message();
            record = {};
            return true;
        }
        line_ += static_cast<std::int64_t>(newlines) + 1;
        std::size_t size = end;
        if (size > 0 && buf_[pos_ + size - 1] == '\r') --size;
        record = std::string_view(buf_).substr(pos_, size);
        next = std::min(next, buf_.size() - pos_);
        consumed_ += next;
        pos_ += next;
        if (!record.empty() || !error.empty()) return true;  // blank lines are not records
    }
}

bool CsvReader::next(std::vector<std::string>& fields, std::int64_t& line, std::string& error) {
    std::string_view record;
    if (!next_raw(record, line, error)) return false;
    split_csv_record(record, delimiter_, fields);
    return true;
}

bool CsvReader::next(std::vector<std::string>& fields, std::int64_t& line) {
    std::string error;
    while (next(fields, line, error)) {
        if (error.empty()) return true;
        ++skipped_;
    }
    return false;
}

bool CsvReader::read_chunk(CsvChunk& chunk, std::size_t bytes) {
    chunk.text.clear();
    chunk.records.clear();
    chunk.simple = true;
    chunk.delimiter = delimiter_;
    chunk.first_line = line_ + 1;
    while (buf_.size() - pos_ < bytes && fill()) {
    }
    const std::string_view avail = std::string_view(buf_).substr(pos_);
    if (avail.empty()) return false;
    if (std::memchr(avail.data(), '"', avail.size()) == nullptr) {
        // no quotes: records are lines; cut after the last line end
        const std::size_t cut = eof_ ? avail.size() : avail.rfind('\n') + 1;  // npos + 1 == 0
        if (cut > 0) {
            // hand the buffer over (no copy) and keep what follows the cut
            const std::size_t from = pos_;
            chunk.text.swap(buf_);
            buf_.assign(chunk.text, from + cut, std::string::npos);
            chunk.text.resize(from + cut);
            chunk.text.erase(0, from);
            pos_ = 0;
            for (const char *p = chunk.text.data(), *e = p + chunk.text.size();
                 (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)))); ++p)
                ++line_;
            if (chunk.text.back() != '\n') ++line_;
            consumed_ += cut;
            return true;
        }
    }
    // quotes (or a line longer than `bytes`): record by record
    chunk.simple = false;
    std::string_view rec;
    std::int64_t line = 0;
    std::string error;
    while (chunk.text.size() < bytes && next_raw(rec, line, error)) {
        chunk.records.push_back({chunk.text.size(), rec.size(), line, error});
        chunk.text.append(rec);
    }
    return !chunk.records.empty();
}

} // namespace wangge

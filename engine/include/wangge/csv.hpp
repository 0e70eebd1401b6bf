// wangge/csv.hpp — reading delimited text fast and in constant memory.
//
// Event files from field apps arrive as CSV with any delimiter and in UTF-8 or
// GBK. CsvReader streams a file block by block (memory does not grow with the
// file), splits records with RFC 4180 quoting (quoted fields may hold the
// delimiter, doubled quotes and line breaks), and counts physical lines so that
// errors can name them. Text is returned as read; the caller decides the encoding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

/// Split one record (no line break outside quotes) into fields; unquotes.
void split_csv_record(std::string_view line, char delimiter, std::vector<std::string>& fields);

/// One field quoted for a comma-separated file when it needs it (RFC 4180).
std::string csv_quote(std::string_view field);

/// Guess the delimiter from a header line: the most frequent of , \t ; |
char guess_delimiter(std::string_view header);

class CsvReader {
public:
    /// delimiter 0: guess from the first line.
    explicit CsvReader(const std::filesystem::path& file, char delimiter = 0);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    const std::vector<std::string>& header() const noexcept { return header_; }
    char delimiter() const noexcept { return delimiter_; }
    /// Next record; false at the end. `line` is the physical line it starts on (1 = header).
    bool next(std::vector<std::string>& fields, std::int64_t& line);
    /// Bytes read so far and the file size, for progress.
    std::uint64_t position() const noexcept { return consumed_; }
    std::uint64_t size() const noexcept { return size_; }

private:
    bool read_record(std::string& record, std::int64_t& line);
    bool fill();

    std::FILE* f_ = nullptr;
    std::string buf_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    char delimiter_ = ',';
    std::vector<std::string> header_;
    std::int64_t line_ = 0;
    std::uint64_t consumed_ = 0, size_ = 0;
    std::string path_;
};

} // namespace wangge

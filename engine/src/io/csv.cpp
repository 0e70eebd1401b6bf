#include "wangge/csv.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>

#include <array>

namespace wangge {

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

std::string csv_quote(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
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

CsvReader::CsvReader(const std::filesystem::path& file, char delimiter) : path_(file.string()) {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) throw io_error(fmt::format("{}: cannot open", path_));
    std::error_code ec;
    size_ = std::filesystem::file_size(file, ec);
    std::string head;
    std::int64_t line = 0;
    if (!read_record(head, line)) throw input_error(fmt::format("{}: empty file (no header line)", path_));
    if (head.size() >= 3 && head.compare(0, 3, "\xEF\xBB\xBF") == 0) head.erase(0, 3);  // UTF-8 BOM
    delimiter_ = delimiter ? delimiter : guess_delimiter(head);
    split_csv_record(head, delimiter_, header_);
}

CsvReader::~CsvReader() {
    if (f_) std::fclose(f_);
}

bool CsvReader::fill() {
    if (eof_) return false;
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    const std::size_t old = buf_.size();
    buf_.resize(old + (1 << 20));
    const std::size_t n = std::fread(buf_.data() + old, 1, 1 << 20, f_);
    buf_.resize(old + n);
    if (n == 0) eof_ = true;
    return n > 0;
}

bool CsvReader::read_record(std::string& record, std::int64_t& line) {
    record.clear();
    // a record ends at a line break outside quotes
    bool quoted = false;
    std::size_t scan = pos_;
    for (;;) {
        if (scan >= buf_.size()) {
            const std::size_t offset = scan - pos_;
            if (!fill()) {
                if (pos_ >= buf_.size()) return false;
                record.assign(buf_, pos_, std::string::npos);
                consumed_ += buf_.size() - pos_;
                pos_ = buf_.size();
                line = ++line_;
                return true;
            }
            scan = pos_ + offset;
            continue;
        }
        const char c = buf_[scan];
        if (c == '"') quoted = !quoted;
        else if (c == '\n' && !quoted) break;
        ++scan;
    }
    record.assign(buf_, pos_, scan - pos_);
    line = line_ + 1;
    for (char c : record)
        if (c == '\n') ++line_;
    ++line_;
    consumed_ += scan + 1 - pos_;
    pos_ = scan + 1;
    if (!record.empty() && record.back() == '\r') record.pop_back();
    return true;
}

bool CsvReader::next(std::vector<std::string>& fields, std::int64_t& line) {
    std::string record;
    for (;;) {
        if (!read_record(record, line)) return false;
        if (record.empty()) continue;  // blank lines are not records
        split_csv_record(record, delimiter_, fields);
        return true;
    }
}

} // namespace wangge

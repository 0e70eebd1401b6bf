// CSV for spreadsheets and scripts, files written whole (io/csv_out.hpp).
#include "io/csv_out.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace wangge::io {

std::string csv_field(std::string_view s) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

CsvText::CsvText(const std::vector<std::string>& header) : text_("\xEF\xBB\xBF") { row(header); }

void CsvText::row(const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) text_ += ',';
        text_ += csv_field(fields[i]);
    }
    text_ += "\r\n";
}

void CsvText::write(const std::filesystem::path& p) const {
    write_whole(p, text_);
}

void write_whole(const std::filesystem::path& out, std::string_view bytes) {
    const std::filesystem::path tmp = out.string() + ".tmp";
    {
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), std::fclose);
        if (!f) throw io_error(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
        if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size() || std::fflush(f.get()) != 0) {
            const std::string why = std::strerror(errno);
            f.reset();
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw io_error(fmt::format("{}: cannot write: {}", tmp.string(), why));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, out, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw io_error(fmt::format("{}: cannot move the output into place: {}", out.string(), ec.message()));
    }
}

}  // namespace wangge::io

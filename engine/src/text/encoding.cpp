#include "wangge/text.hpp"

#include "wangge/error.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iconv.h>
#include <vector>

namespace wangge::text {

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        int n;
        std::uint32_t cp;
        if (c < 0x80) {
            ++p;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= n) return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

std::string canonical_encoding(std::string_view name) {
    std::string n;
    for (char c : name)
        if (c != '-' && c != '_' && c != ' ') n += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (n == "UTF8") return "UTF-8";
    if (n == "936" || n == "CP936" || n == "GBK" || n == "MS936" || n == "WINDOWS936") return "GBK";
    if (n == "GB2312" || n == "EUCCN") return "GB2312";
    if (n == "GB18030") return "GB18030";
    if (n == "LATIN1" || n == "ISO88591" || n == "8859") return "ISO-8859-1";
    if (n == "BIG5" || n == "950" || n == "CP950") return "BIG5";
    return std::string(name);
}

std::optional<std::string> to_utf8(std::string_view s, const std::string& from) {
    const std::string enc = canonical_encoding(from);
    if (enc == "UTF-8") return is_valid_utf8(s) ? std::optional<std::string>(std::string(s)) : std::nullopt;
    if (is_ascii(s)) return std::string(s);
    iconv_t cd = iconv_open("UTF-8", enc.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) throw usage_error("unknown text encoding '" + std::string(from) + "'");
    std::vector<char> out(s.size() * 4 + 8);
    char* in = const_cast<char*>(s.data());
    std::size_t in_left = s.size();
    char* o = out.data();
    std::size_t out_left = out.size();
    const std::size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
    std::string result(out.data(), out.size() - out_left);
    if (!is_valid_utf8(result)) return std::nullopt;
    return result;
}

} // namespace wangge::text

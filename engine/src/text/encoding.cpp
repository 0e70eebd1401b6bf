#include "wangge/text.hpp"

#include "wangge/error.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iconv.h>
#include <vector>

namespace wangge::text {

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

namespace {

/// The code point of the UTF-8 sequence at p (n bytes: 1..4), or -1 when the bytes
/// there are not one valid sequence.
long decode_one(const unsigned char* p, const unsigned char* end, int& n) {
    const unsigned char c = *p;
    std::uint32_t cp;
    if (c < 0x80) {
        n = 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if (end - p < n) return -1;
    for (int i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return static_cast<long>(cp);
}

/// Characters that change how the rest of a line is shown, or are not seen at all.
bool hidden_format_char(long cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200B || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0xFEFF;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    for (int n = 1; p < end; p += n)
        if (decode_one(p, end, n) < 0) return false;
    return true;
}

std::string escape_for_message(std::string_view s, std::size_t max) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    for (std::size_t shown = 0; p < end; ++shown) {
        if (shown == max) {
            out += "…";
            break;
        }
        int n = 1;
        const long cp = decode_one(p, end, n);
        if (cp < 0) {
            out += "\\x";
            out += hex[*p >> 4];
            out += hex[*p & 0xF];
            n = 1;
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x20 || cp == 0x7F) {
            out += "\\x";
            out += hex[cp >> 4];
            out += hex[cp & 0xF];
        } else if (hidden_format_char(cp)) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
        } else {
            out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
        }
        p += n;
    }
    return out;
}

std::string quote_for_message(std::string_view s, std::size_t max) {
    return "'" + escape_for_message(s, max) + "'";
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

#include "wangge/tiles/gzip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <climits>

#include "wangge/error.hpp"

namespace wangge::tiles {

namespace {

// zlib's windowBits: 15 (32 KiB window) + 16 selects the gzip wrapper; +32 on inflate
// would also accept zlib streams, which we do not want to pass for gzip.
constexpr int gzip_window_bits = 15 + 16;

// Owns a z_stream for deflate or inflate; ends it on every path out.
class ZStream {
public:
    enum class Kind { deflate, inflate };

    ZStream(Kind kind, int level) : kind_(kind) {
        const int rc = kind == Kind::deflate
                           ? deflateInit2(&z_, level, Z_DEFLATED, gzip_window_bits, 8, Z_DEFAULT_STRATEGY)
                           : inflateInit2(&z_, gzip_window_bits);
        if (rc != Z_OK) throw error(fmt::format("zlib: cannot initialize ({})", rc));
    }
    ~ZStream() {
        if (kind_ == Kind::deflate)
            deflateEnd(&z_);
        else
            inflateEnd(&z_);
    }
    ZStream(const ZStream&) = delete;
    ZStream& operator=(const ZStream&) = delete;

    z_stream* get() noexcept { return &z_; }

private:
    Kind kind_;
    z_stream z_{};
};

}  // namespace

bool is_gzip(std::string_view data) noexcept {
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
           static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gzip_compress(std::string_view data, int level) {
    if (level < 0 || level > 9) throw usage_error(fmt::format("gzip level {} is not in 0..9", level));
    if (data.size() > UINT_MAX) throw usage_error("gzip: input larger than 4 GiB");
    ZStream zs(ZStream::Kind::deflate, level);
    z_stream* z = zs.get();
    // The default header already has no name and mtime 0: output depends on input only.
    std::string out(deflateBound(z, static_cast<uLong>(data.size())), '\0');
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z->avail_in = static_cast<uInt>(data.size());
    z->next_out = reinterpret_cast<Bytef*>(out.data());
    z->avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(z, Z_FINISH);
    // deflateBound guarantees room for everything in one call.
    if (rc != Z_STREAM_END) throw error(fmt::format("zlib: deflate failed ({})", rc));
    out.resize(z->total_out);
    return out;
}

std::string gzip_decompress(std::string_view data, std::size_t max_size) {
    if (!is_gzip(data)) throw input_error("not gzip data (no 1F 8B magic)");
    if (data.size() > UINT_MAX) throw input_error("gzip: input larger than 4 GiB");
    std::string out;
    auto* next = reinterpret_cast<const Bytef*>(data.data());
    std::size_t left = data.size();
    // One pass per gzip member: gzip allows concatenated members, which inflate sees
    // as separate streams.
    while (left > 0) {
        ZStream zs(ZStream::Kind::inflate, 0);
        z_stream* z = zs.get();
        z->next_in = const_cast<Bytef*>(next);
        z->avail_in = static_cast<uInt>(left);
        int rc = Z_OK;
        char buf[16384];
        while (rc != Z_STREAM_END) {
            z->next_out = reinterpret_cast<Bytef*>(buf);
            z->avail_out = sizeof buf;
            rc = inflate(z, Z_NO_FLUSH);
            if (rc == Z_BUF_ERROR && z->avail_in == 0) throw input_error("gzip data is truncated");
            if (rc != Z_OK && rc != Z_STREAM_END)
                throw input_error(fmt::format("gzip data is corrupt: {}", z->msg ? z->msg : "inflate failed"));
            const std::size_t got = sizeof buf - z->avail_out;
            if (out.size() + got > max_size)
                throw input_error(fmt::format("gzip data inflates beyond {} bytes", max_size));
            out.append(buf, got);
        }
        next = z->next_in;
        left = z->avail_in;
        // Trailing zero padding after the last member is common (tar-like writers).
        if (left > 0 && !is_gzip(std::string_view(reinterpret_cast<const char*>(next), left))) {
            bool zeros = true;
            for (std::size_t i = 0; i < left; ++i) zeros = zeros && next[i] == 0;
            if (zeros) break;
            throw input_error("gzip data has trailing garbage");
        }
    }
    return out;
}

}  // namespace wangge::tiles

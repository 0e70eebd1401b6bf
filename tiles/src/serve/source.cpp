// serve/source.cpp — what every tile source shares: the ETag of stored bytes.
#include "serve/source.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace wangge::tiles::serve {

namespace {

constexpr std::uint64_t prime = 0x100000001b3ULL;  // FNV's 64-bit prime

/// The murmur3 finalizer: every input bit reaches every output bit.
constexpr std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

}  // namespace

std::string etag_of(std::string_view bytes) {
    // FNV-1a over 64-bit words in four independent lanes (a tile is hashed on every
    // request: one lane of bytes would cost a multiply per byte), bytes of the tail
    // one by one, lanes folded with a finalizer. Fixed constants and little-endian
    // words: the tag does not depend on the standard library's std::hash.
    std::uint64_t lane[4] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0x9e3779b97f4a7c15ULL,
                             0xc2b2ae3d27d4eb4fULL};
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    for (; n >= 32; p += 32, n -= 32)
        for (int i = 0; i < 4; ++i) {
            std::uint64_t w;
            std::memcpy(&w, p + 8 * i, 8);
            lane[i] = (lane[i] ^ w) * prime;
        }
    std::uint64_t h = mix(lane[0]) ^ (mix(lane[1]) * 3) ^ (mix(lane[2]) * 5) ^ (mix(lane[3]) * 7);
    for (; n > 0; ++p, --n) h = (h ^ static_cast<unsigned char>(*p)) * prime;
    h = mix(h ^ bytes.size());
    return fmt::format("\"{:016x}-{:x}\"", h, bytes.size());
}

}  // namespace wangge::tiles::serve

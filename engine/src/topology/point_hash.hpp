// Hashing points by their exact coordinates (the topology module matches vertices
// bit for bit: two features share a vertex only if both store the same doubles).
#pragma once

#include "wangge/topology.hpp"

#include <bit>
#include <cstdint>

namespace wangge::topology {

struct PointHash {
    std::size_t operator()(const XY& p) const noexcept {
        // + 0.0: -0.0 and 0.0 compare equal, so they must hash the same
        const auto a = std::bit_cast<std::uint64_t>(p.x + 0.0), b = std::bit_cast<std::uint64_t>(p.y + 0.0);
        return static_cast<std::size_t>(a * 0x9E3779B97F4A7C15ull ^ (b + 0x7F4A7C159E3779B9ull + (a << 6) + (a >> 2)));
    }
};

} // namespace wangge::topology

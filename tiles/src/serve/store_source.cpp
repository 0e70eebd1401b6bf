// STUB (lead, session scaffolding): replaced by the live source helper this session.
#include "serve/store_source.hpp"

#include "wangge/error.hpp"

namespace wangge::tiles::serve {

std::unique_ptr<TileSource> make_live_source(const std::filesystem::path&, std::string,
                                             std::unique_ptr<TileSource> base, const LiveOptions&) {
    if (!base) throw usage_error("serving tiles from the store is not implemented yet");
    return base;
}

}  // namespace wangge::tiles::serve

// STUB (lead, session scaffolding): replaced by the glyphs helper this session.
#include "serve/glyphs.hpp"

#include "wangge/error.hpp"

namespace wangge::tiles::serve {

struct Glyphs::Impl {
    std::string fontstack = "Noto Sans CJK SC Regular";
};

Glyphs::Glyphs(const std::filesystem::path&) : impl_(std::make_unique<Impl>()) {}
Glyphs::~Glyphs() = default;
const std::string& Glyphs::fontstack() const { return impl_->fontstack; }
std::optional<std::string> Glyphs::range(unsigned) { return std::nullopt; }

}  // namespace wangge::tiles::serve

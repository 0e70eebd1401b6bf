// STUB (lead, session scaffolding): replaced by the data API helper this session.
#include "serve/api.hpp"

namespace wangge::tiles::serve {

struct DataApi::Impl {};

DataApi::DataApi(const std::filesystem::path&) : impl_(std::make_unique<Impl>()) {}
DataApi::~DataApi() = default;

namespace {
JsonReply not_yet() { return {501, R"({"error":"not implemented yet"})"}; }
}  // namespace

JsonReply DataApi::grid(std::string_view) { return not_yet(); }
JsonReply DataApi::locate(std::string_view, std::string_view, std::string_view) { return not_yet(); }
JsonReply DataApi::search(std::string_view, std::string_view) { return not_yet(); }

}  // namespace wangge::tiles::serve

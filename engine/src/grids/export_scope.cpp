// The scope of an export by --village, --township or --county: see checked_scope_code
// in wangge/grids.hpp.
#include <fmt/format.h>

#include "store/jurisdictions_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/grids.hpp"

namespace wangge {

std::string checked_scope_code(Store& store, Level level, const std::string& code) {
    const std::string_view what = level_name(level);
    const std::size_t length = level_code_length(level);
    if (code.size() != length || code.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("--{} '{}' is not a {}-digit code", what, code, length));
    if (repo::jurisdiction_names(store, {code}).empty())
        throw input_error(fmt::format("{} {} is not in the store", what, code));
    return code;
}

}  // namespace wangge

// The output-file rule of the command line. See output.hpp.
#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <wangge/error.hpp>

namespace wangge::cli {

namespace fs = std::filesystem;

CLI::Option* add_overwrite_flag(CLI::App* cmd, bool& overwrite) {
    return cmd->add_flag("--overwrite", overwrite, "Replace the output file if it exists (else it is refused)");
}

void check_output(const fs::path& out, bool overwrite) {
    if (out.empty()) throw usage_error("the output file name is empty");
    const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        if (fs::exists(dir, ec)) throw usage_error(fmt::format("{}: {} is not a folder", out.string(), dir.string()));
        throw usage_error(fmt::format("{}: folder {} does not exist", out.string(), dir.string()));
    }
    if (fs::is_directory(out, ec)) throw usage_error(fmt::format("{}: is a folder, not a file", out.string()));
    if (fs::exists(fs::symlink_status(out, ec)) && !overwrite)
        throw usage_error(fmt::format("{}: exists already (--overwrite replaces it)", out.string()));
    // the file is written beside itself, then renamed: the folder must take new files
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw usage_error(
            fmt::format("{}: folder {} cannot be written: {}", out.string(), dir.string(), std::strerror(errno)));
}

}  // namespace wangge::cli

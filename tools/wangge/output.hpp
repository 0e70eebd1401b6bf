// The one rule of the command line for every file a command writes (docs/cli.md,
// "Output files"): an existing file is refused unless `--overwrite` is given, and an
// output in a folder that does not exist, or that is a folder itself, is a bad command
// line. Both are checked before the store is opened or anything is written, naming the
// path the user gave (never a temporary file beside it).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>

namespace wangge::cli {

/// Add `--overwrite` ("Replace OUT if it exists") to a command that writes a file.
CLI::Option* add_overwrite_flag(CLI::App* cmd, bool& overwrite);

/// Throws usage_error (exit 2) when `out` cannot be the output of a command: its folder
/// does not exist ("OUT: folder DIR does not exist") or is not writable, it is a folder,
/// or it exists and `overwrite` is false ("OUT: exists already (--overwrite replaces it)").
void check_output(const std::filesystem::path& out, bool overwrite);

}  // namespace wangge::cli

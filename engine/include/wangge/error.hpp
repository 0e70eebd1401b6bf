// wangge/error.hpp — the one exception hierarchy of the engine.
//
// Library code throws; the command line catches at the top, prints one line and
// maps the kind to an exit code (docs/cli.md). Every error that comes from user
// input names where it happened: file, feature or line, and the reason.
#pragma once

#include <stdexcept>
#include <string>

namespace wangge {

/// Base of every exception the engine throws.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file cannot be opened, read or written (missing, unreadable, unknown format).
class io_error : public error {
public:
    using error::error;
};

/// The store (SQLite/SpatiaLite) failed or has an unexpected schema.
class store_error : public error {
public:
    using error::error;
};

/// Another process holds the store's write lock and did not let go within the wait
/// (--wait). The message names that process's command when it is recorded.
class busy_error : public store_error {
public:
    using store_error::store_error;
};

/// Input data is wrong: bad code, invalid geometry, missing CRS, bad encoding...
/// Nothing was written when this is thrown.
class input_error : public error {
public:
    using error::error;
};

/// A geometry operation failed inside GEOS (message from GEOS's handler).
class geometry_error : public error {
public:
    using error::error;
};

/// An option or argument value is not acceptable (e.g. unknown level name).
class usage_error : public error {
public:
    using error::error;
};

} // namespace wangge

// codes_repo — the owner of the table division_codes, the national code table
// (internal header). Call the writing functions inside the caller's Store::Transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::repo {

struct DivisionCodeRow {
    std::string code;
    std::string level;  ///< province, city, county, township or village
    std::string name;
    std::optional<std::string> parent_code;  ///< none for provinces
};

/// The entry of `code` (level and name filled), if in the code table.
std::optional<DivisionCodeRow> find_division_code(Store& store, std::string_view code);

/// The names of those of `codes` that are in the code table (code -> name).
std::map<std::string, std::string> division_code_names(Store& store, const std::vector<std::string>& codes);

/// The number of entries of the code table.
std::int64_t count_division_codes(Store& store);

/// Empty the code table.
void clear_division_codes(Store& store);

/// Inserts code table entries, keeping its statement for a whole load.
class DivisionCodeWriter {
public:
    explicit DivisionCodeWriter(Store& store);
    ~DivisionCodeWriter();
    DivisionCodeWriter(const DivisionCodeWriter&) = delete;
    DivisionCodeWriter& operator=(const DivisionCodeWriter&) = delete;

    void insert(const DivisionCodeRow& row);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::repo

// The bodies of the libFuzzer targets of tests/fuzz (fuzz_<name>.cpp): one function
// per target, taking the input bytes. Each returns normally when the input is read or
// rejected with a wangge::error (what a corrupt input must give); anything else (a
// crash, a sanitizer report, another exception, a broken invariant: abort()) is a
// finding. The unit tests (tests/unit/test_fuzz_regressions.cpp) run the kept inputs
// of tests/fuzz/regressions/<name>/ through the same functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wangge::fuzz {

void mvt(std::string_view data);       ///< the MVT decoder (raw or gzip tile)
void pmtiles(std::string_view data);   ///< PMTiles: directory parser, reader on a file
void mbtiles(std::string_view data);   ///< MBTiles reader on a file
void csv(std::string_view data);       ///< CSV records, fields, quoting, event times
void beidou(std::string_view data);    ///< BeiDou grid location codes
void gridcode(std::string_view data);  ///< grid codes and division codes

struct Target {
    const char* name;
    void (*run)(std::string_view);
};
/// Every target, by name (the folder names under corpus/ and regressions/).
const std::vector<Target>& targets();

}  // namespace wangge::fuzz

// One libFuzzer target: WANGGE_FUZZ_TARGET names the function of targets.hpp
// (tests/fuzz/CMakeLists.txt builds fuzz_<name> for each).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    wangge::fuzz::WANGGE_FUZZ_TARGET(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}

// Tests that need something beside the repository (ogrinfo, the npm validators,
// chromium) skip with a warning when it is missing, except on CI (CI=true),
// where a missing prerequisite fails the test: CI cannot pass by skipping.
#include <catch2/catch.hpp>
#include <string>

#include "support.hpp"

using namespace wangge::test;

namespace {

// Run one test case of this very binary with `env_args` given to env(1).
RunResult run_self(const std::string& env_args, const std::string& test_spec) {
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    return run_shell("env " + env_args + " '" + self + "' \"" + test_spec + "\"");
}

}  // namespace

TEST_CASE("test support: a missing prerequisite fails the test under CI=true and skips it otherwise", "[support]") {
    struct Case {
        std::string env;  // what makes the prerequisite missing
        std::string test;
        std::string what;  // named in the message
    };
    const Case cases[] = {
        {"PATH=/nonexistent", "tiles: GDAL's MVT driver (ogrinfo)*", "ogrinfo"},
    };
    for (const auto& c : cases) {
        INFO(c.test);
        const RunResult skipped = run_self("-u CI " + c.env, c.test);
        INFO(skipped.out);
        CHECK(skipped.exit_code == 0);
        CHECK_THAT(skipped.out, Catch::Contains("skipped") && Catch::Contains(c.what));
        const RunResult failed = run_self("CI=true " + c.env, c.test);
        INFO(failed.out);
        CHECK(failed.exit_code != 0);
        CHECK_THAT(failed.out, Catch::Contains(c.what) && Catch::Contains("missing"));
    }
}

// wangge/testpoint.hpp — named pause points for tests of concurrent writers.
//
// A test that runs two wangge processes against one store needs one of them to stop
// at a known place (say, after reading the grids and before writing) while the other
// runs. `pause_point("name")` does nothing unless the environment asks for it:
//
//     WANGGE_PAUSE_AT=name WANGGE_PAUSE_FILE=/tmp/x wangge ...
//
// Then, on reaching the point, the process creates WANGGE_PAUSE_FILE and waits until
// the file is removed (at most 120 s), and goes on. The test waits for the file to
// appear, runs the other process, and removes the file to let the first one finish.
#pragma once

#include <string_view>

namespace wangge {

void pause_point(std::string_view name);

} // namespace wangge

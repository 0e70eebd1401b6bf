// Migration v3 carries the event classification it shipped literally (no call into
// the events module). A new store must still get exactly the rows of the default
// classification: when engine/data/event_types_default.csv changes, this fails, and
// the change needs a new migration (never an edit of v3).
#include <catch2/catch.hpp>
#include <wangge/events.hpp>
#include <wangge/store.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

std::string describe(const EventType& t) {
    return t.code + "|" + t.name + "|" + t.major_code + "|" + t.major_name + "|" + t.platform_code + "|" + t.platform +
           "|" + (t.township_closable ? "1" : "0");
}

std::vector<std::string> describe(const std::vector<EventType>& types) {
    std::vector<std::string> out;
    for (const auto& t : types) out.push_back(describe(t));
    return out;
}

}  // namespace

TEST_CASE("event types migration: a new store has exactly the default classification", "[store][events]") {
    TempDir dir("event-types-migration");
    Store created(dir / "new.sqlite");
    const auto from_migration = describe(list_event_types(created));
    const std::string migration_version = event_types_version(created);

    Store loaded(dir / "loaded.sqlite");
    CHECK(load_default_event_types(loaded) == static_cast<int>(from_migration.size()));
    const auto from_default = describe(list_event_types(loaded));

    CHECK(from_migration.size() == 49);
    CHECK(from_migration == from_default);
    CHECK(migration_version == "wangge default 1");
    CHECK(event_types_version(loaded) == migration_version);
}

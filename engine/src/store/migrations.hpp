// Ordered schema migrations of the store. Version N is the N-th entry; a store at
// user_version V gets entries V+1..latest applied, each in its own transaction.
// Never edit a released migration: add a new one.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::store {

struct Migration {
    std::string description;
    std::function<void(Store&)> apply;
};

const std::vector<Migration>& migrations();

} // namespace wangge::store

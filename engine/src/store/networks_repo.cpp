// networks_repo: all SQL on networks, network_versions and network_grids.
#include "store/networks_repo.hpp"

#include "store/runs_repo.hpp"
#include "store/sql.hpp"

namespace wangge::repo {

namespace {

constexpr const char* version_columns =
    "SELECT n.name, v.version, v.import_id, v.source_file, v.code_field, coalesce(v.name_field, ''), v.imported_at, "
    "v.grids, v.area_m2 FROM network_versions v JOIN networks n ON n.id = v.network_id ";

NetworkVersionRow version_row(const Statement& st) {
    NetworkVersionRow r;
    r.network = st.text(0);
    r.version = static_cast<int>(st.int64(1));
    r.import_id = st.int64(2);
    r.source_file = st.text(3);
    r.code_field = st.text(4);
    r.name_field = st.text(5);
    r.imported_at = st.text(6);
    r.grids = st.int64(7);
    r.area_m2 = st.real(8);
    return r;
}

}  // namespace

std::vector<NetworkVersionRow> current_network_versions(Store& store) {
    std::vector<NetworkVersionRow> out;
    Statement st = sql::prepare(store, std::string(version_columns) +
                                           "WHERE v.version = (SELECT max(version) FROM network_versions w WHERE "
                                           "w.network_id = v.network_id) ORDER BY n.name");
    while (st.step()) out.push_back(version_row(st));
    return out;
}

std::vector<NetworkVersionRow> network_versions(Store& store, const std::string& name) {
    std::vector<NetworkVersionRow> out;
    Statement st = sql::prepare(store, std::string(version_columns) + "WHERE n.name = ? ORDER BY v.version");
    st.bind(1, name);
    while (st.step()) out.push_back(version_row(st));
    return out;
}

std::optional<NetworkVersionRow> for_each_current_network_grid(Store& store, const std::string& name,
                                                               const std::function<void(NetworkGridRow&&)>& fn) {
    std::optional<NetworkVersionRow> version;
    {
        Statement st = sql::prepare(store, std::string(version_columns) +
                                               "WHERE n.name = ? ORDER BY v.version DESC LIMIT 1");
        st.bind(1, name);
        if (st.step()) version = version_row(st);
    }
    if (!version) return version;
    Statement st = sql::prepare(store,
                                "SELECT g.code, coalesce(g.name, ''), g.source_feature, g.area_m2, AsBinary(g.geom) "
                                "FROM network_grids g JOIN network_versions v ON v.id = g.version_id JOIN networks n "
                                "ON n.id = v.network_id WHERE n.name = ? AND v.version = ? ORDER BY g.code");
    st.bind(1, name).bind(2, static_cast<std::int64_t>(version->version));
    while (st.step()) {
        NetworkGridRow r;
        r.code = st.text(0);
        r.name = st.text(1);
        r.source_feature = st.int64(2);
        r.area_m2 = st.real(3);
        r.wkb = st.blob(4);
        fn(std::move(r));
    }
    return version;
}

std::int64_t count_networks(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM networks");
}

int add_network_version(Store& store, const std::string& name, std::int64_t import_id, const std::string& source_file,
                        const std::string& code_field, const std::string& name_field, double area_m2,
                        const std::vector<NetworkGridRow>& grids) {
    const std::string now = now_timestamp(store);
    {
        Statement ins = sql::prepare(store, "INSERT OR IGNORE INTO networks(name, created_at) VALUES (?, ?)");
        ins.bind(1, name).bind(2, now);
        ins.run();
    }
    std::int64_t network_id = 0;
    int version = 1;
    {
        Statement st = sql::prepare(
            store, "SELECT n.id, coalesce(max(v.version), 0) + 1 FROM networks n LEFT JOIN network_versions v ON "
                   "v.network_id = n.id WHERE n.name = ? GROUP BY n.id");
        st.bind(1, name);
        if (!st.step()) sql::fail(store, "network id");
        network_id = st.int64(0);
        version = static_cast<int>(st.int64(1));
    }
    Statement add = sql::prepare(store,
                                 "INSERT INTO network_versions(network_id, version, import_id, source_file, code_field, "
                                 "name_field, grids, area_m2, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    add.bind(1, network_id).bind(2, static_cast<std::int64_t>(version)).bind(3, import_id).bind(4, source_file);
    add.bind(5, code_field);
    if (name_field.empty()) add.bind_null(6);
    else add.bind(6, name_field);
    add.bind(7, static_cast<std::int64_t>(grids.size())).bind(8, area_m2).bind(9, now);
    add.run();
    const std::int64_t version_id = sql::query_int(store, "SELECT last_insert_rowid()");
    Statement ins = sql::prepare(store,
                                 "INSERT INTO network_grids(version_id, code, name, source_feature, area_m2, geom) "
                                 "VALUES (?, ?, ?, ?, ?, CastToMultiPolygon(GeomFromWKB(?, 4490)))");
    for (const auto& g : grids) {
        ins.bind(1, version_id).bind(2, g.code);
        if (g.name.empty()) ins.bind_null(3);
        else ins.bind(3, g.name);
        ins.bind(4, g.source_feature).bind(5, g.area_m2);
        ins.bind_blob(6, g.wkb.data(), g.wkb.size());
        ins.run();
    }
    return version;
}

}  // namespace wangge::repo

#include "store/migrations.hpp"

#include "store/sql.hpp"

#include "wangge/store.hpp"

namespace wangge::store {

namespace {

// Version 1: foundation. SpatiaLite metadata with just the two reference systems
// we use (the full EPSG table would add ~5 MB to every store), the national code
// table, import runs, and jurisdictions with a registered, indexed geometry column.
void v1_foundation(Store& s) {
  if (sql::query_int(
          s,
          "SELECT count(*) FROM sqlite_master WHERE name='spatial_ref_sys'") ==
      0) {
    sql::exec(s, "SELECT InitSpatialMetadata(0, 'NONE')");
  }
  sql::exec(s, "SELECT InsertEpsgSrid(4490) WHERE NOT EXISTS (SELECT 1 FROM "
               "spatial_ref_sys WHERE srid=4490)");
  sql::exec(s, "SELECT InsertEpsgSrid(4326) WHERE NOT EXISTS (SELECT 1 FROM "
               "spatial_ref_sys WHERE srid=4326)");
  sql::exec(s, R"sql(
        CREATE TABLE schema_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        );
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT
        );
        -- National statistical division codes (统计用区划代码), all five levels.
        CREATE TABLE division_codes (
            code        TEXT PRIMARY KEY,
            level       TEXT NOT NULL CHECK (level IN ('province','city','county','township','village')),
            name        TEXT NOT NULL,
            parent_code TEXT
        );
        CREATE INDEX division_codes_parent ON division_codes(parent_code);
        -- One row per import run: the anchor for edit history and rollback later.
        CREATE TABLE import_runs (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            source_file TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            options     TEXT,
            imported    INTEGER NOT NULL DEFAULT 0,
            replaced    INTEGER NOT NULL DEFAULT 0,
            rejected    INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE jurisdictions (
            id             INTEGER PRIMARY KEY,
            code           TEXT NOT NULL UNIQUE,
            level          TEXT NOT NULL CHECK (level IN ('county','township','village')),
            name           TEXT NOT NULL,
            parent_code    TEXT,
            source_file    TEXT NOT NULL,
            source_feature INTEGER,
            import_id      INTEGER REFERENCES import_runs(id),
            imported_at    TEXT NOT NULL
        );
        CREATE INDEX jurisdictions_level ON jurisdictions(level, code);
        CREATE INDEX jurisdictions_parent ON jurisdictions(parent_code);
    )sql");
  sql::exec(s, "SELECT AddGeometryColumn('jurisdictions', 'geom', 4490, "
               "'MULTIPOLYGON', 'XY', 1)");
  sql::exec(s, "SELECT CreateSpatialIndex('jurisdictions', 'geom')");
}

// Version 2: grids. Inputs of partitioning (household points, barrier lines), and
// grids with every version kept: a grid row is current while valid_to IS NULL, so a
// redraw closes rows instead of deleting them. grid_serials is the registry that
// makes "a code is never given out twice in a village" a primary key, not a habit.
void v2_grids(Store& s) {
  sql::exec(s, R"sql(
        CREATE TABLE households (
            id          INTEGER PRIMARY KEY,
            households  INTEGER NOT NULL CHECK (households >= 0),
            source_file TEXT NOT NULL,
            source_feature INTEGER,
            import_id   INTEGER REFERENCES import_runs(id)
        );
        CREATE TABLE barriers (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            name        TEXT,
            source_file TEXT NOT NULL,
            source_feature INTEGER,
            import_id   INTEGER REFERENCES import_runs(id)
        );
        CREATE TABLE partition_runs (
            id          INTEGER PRIMARY KEY,
            started_at  TEXT NOT NULL,
            scope       TEXT NOT NULL,
            settings    TEXT NOT NULL,
            villages    INTEGER NOT NULL DEFAULT 0,
            grids       INTEGER NOT NULL DEFAULT 0,
            kept        INTEGER NOT NULL DEFAULT 0,
            added       INTEGER NOT NULL DEFAULT 0,
            retired     INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE grids (
            id            INTEGER PRIMARY KEY,
            code          TEXT NOT NULL,
            village_code  TEXT NOT NULL,
            serial        INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 999),
            type          TEXT NOT NULL CHECK (type IN ('base','dedicated')),
            name          TEXT,
            households    INTEGER NOT NULL,
            area_m2       REAL NOT NULL,
            perimeter_m   REAL NOT NULL,
            compactness   REAL NOT NULL,
            label_lon     REAL NOT NULL,
            label_lat     REAL NOT NULL,
            beidou        TEXT,
            lineage       TEXT NOT NULL CHECK (lineage IN ('new','unchanged','reshaped','split','merged')),
            valid_from    TEXT NOT NULL,
            valid_to      TEXT,
            run_id        INTEGER NOT NULL REFERENCES partition_runs(id)
        );
        CREATE UNIQUE INDEX grids_current_code ON grids(code) WHERE valid_to IS NULL;
        CREATE INDEX grids_village ON grids(village_code, valid_to);
        CREATE TABLE grid_serials (
            village_code TEXT NOT NULL,
            serial       INTEGER NOT NULL,
            code         TEXT NOT NULL UNIQUE,
            state        TEXT NOT NULL CHECK (state IN ('active','retired')),
            created_at   TEXT NOT NULL,
            retired_at   TEXT,
            PRIMARY KEY (village_code, serial)
        );
        CREATE TABLE grid_lineage (
            run_id       INTEGER NOT NULL REFERENCES partition_runs(id),
            old_code     TEXT,
            new_code     TEXT,
            kind         TEXT NOT NULL,
            shared_m2    REAL
        );
        CREATE INDEX grid_lineage_old ON grid_lineage(old_code);
        CREATE INDEX grid_lineage_new ON grid_lineage(new_code);
    )sql");
  sql::exec(
      s,
      "SELECT AddGeometryColumn('households', 'geom', 4490, 'POINT', 'XY', 1)");
  sql::exec(s, "SELECT CreateSpatialIndex('households', 'geom')");
  sql::exec(s, "SELECT AddGeometryColumn('barriers', 'geom', 4490, "
               "'MULTILINESTRING', 'XY', 1)");
  sql::exec(s, "SELECT CreateSpatialIndex('barriers', 'geom')");
  sql::exec(s, "SELECT AddGeometryColumn('grids', 'geom', 4490, "
               "'MULTIPOLYGON', 'XY', 1)");
  sql::exec(s, "SELECT CreateSpatialIndex('grids', 'geom')");
}

// The classification a new store got at version 3 ("wangge default 1", as
// engine/data/event_types_default.csv was when v3 was released), written out here: a
// released migration carries its data, and never calls code that can still change.
constexpr const char* v3_event_types = R"sql(
        INSERT INTO event_types(code, name, major_code, major_name, platform_code, platform, township_closable)
        VALUES
            ('010101', '邻里纠纷', '0101', '矛盾纠纷', '01', '综治工作', 1),
            ('010102', '家庭婚姻纠纷', '0101', '矛盾纠纷', '01', '综治工作', 1),
            ('010103', '劳资纠纷', '0101', '矛盾纠纷', '01', '综治工作', 1),
            ('010104', '土地山林权属纠纷', '0101', '矛盾纠纷', '01', '综治工作', 0),
            ('010201', '可疑人员情况', '0102', '治安隐患', '01', '综治工作', 1),
            ('010202', '治安案件线索', '0102', '治安隐患', '01', '综治工作', 0),
            ('010203', '出租房屋隐患', '0102', '治安隐患', '01', '综治工作', 1),
            ('010301', '消防安全隐患', '0103', '安全生产', '01', '综治工作', 1),
            ('010302', '燃气安全隐患', '0103', '安全生产', '01', '综治工作', 1),
            ('010303', '危旧房屋', '0103', '安全生产', '01', '综治工作', 0),
            ('010401', '严重精神障碍患者', '0104', '特殊人群', '01', '综治工作', 0),
            ('010402', '社区矫正对象', '0104', '特殊人群', '01', '综治工作', 0),
            ('010403', '刑满释放人员', '0104', '特殊人群', '01', '综治工作', 1),
            ('020101', '无证餐饮', '0201', '食品安全', '02', '市场监管', 1),
            ('020102', '过期变质食品', '0201', '食品安全', '02', '市场监管', 1),
            ('020103', '食品卫生问题', '0201', '食品安全', '02', '市场监管', 1),
            ('020201', '无照经营', '0202', '经营秩序', '02', '市场监管', 1),
            ('020202', '超范围经营', '0202', '经营秩序', '02', '市场监管', 1),
            ('020203', '虚假宣传', '0202', '经营秩序', '02', '市场监管', 0),
            ('020301', '哄抬价格', '0203', '价格监管', '02', '市场监管', 0),
            ('020302', '价格欺诈', '0203', '价格监管', '02', '市场监管', 0),
            ('020303', '未明码标价', '0203', '价格监管', '02', '市场监管', 1),
            ('020401', '电梯安全隐患', '0204', '特种设备', '02', '市场监管', 0),
            ('020402', '锅炉压力容器隐患', '0204', '特种设备', '02', '市场监管', 0),
            ('020403', '游乐设施隐患', '0204', '特种设备', '02', '市场监管', 0),
            ('030101', '占道经营', '0301', '市容环境', '03', '综合执法', 1),
            ('030102', '乱堆乱放', '0301', '市容环境', '03', '综合执法', 1),
            ('030103', '暴露垃圾', '0301', '市容环境', '03', '综合执法', 1),
            ('030201', '违章搭建', '0302', '违法建设', '03', '综合执法', 0),
            ('030202', '擅自改变房屋用途', '0302', '违法建设', '03', '综合执法', 0),
            ('030203', '违规装修', '0302', '违法建设', '03', '综合执法', 1),
            ('030301', '噪声扰民', '0303', '环境保护', '03', '综合执法', 1),
            ('030302', '餐饮油烟污染', '0303', '环境保护', '03', '综合执法', 1),
            ('030303', '违规排污', '0303', '环境保护', '03', '综合执法', 0),
            ('030401', '违规设置广告牌', '0304', '户外广告', '03', '综合执法', 1),
            ('030402', '乱贴乱画', '0304', '户外广告', '03', '综合执法', 1),
            ('030403', '广告设施破损', '0304', '户外广告', '03', '综合执法', 1),
            ('040101', '路灯损坏', '0401', '设施维修', '04', '便民服务', 1),
            ('040102', '下水道堵塞', '0401', '设施维修', '04', '便民服务', 1),
            ('040103', '道路破损', '0401', '设施维修', '04', '便民服务', 1),
            ('040201', '困难救助', '0402', '民生求助', '04', '便民服务', 1),
            ('040202', '就业咨询', '0402', '民生求助', '04', '便民服务', 1),
            ('040203', '养老服务', '0402', '民生求助', '04', '便民服务', 1),
            ('040301', '证明开具', '0403', '证照代办', '04', '便民服务', 1),
            ('040302', '社保医保代办', '0403', '证照代办', '04', '便民服务', 1),
            ('040303', '户籍业务咨询', '0403', '证照代办', '04', '便民服务', 1),
            ('040401', '垃圾清运', '0404', '环境卫生', '04', '便民服务', 1),
            ('040402', '公厕保洁', '0404', '环境卫生', '04', '便民服务', 1),
            ('040403', '绿化养护', '0404', '环境卫生', '04', '便民服务', 1);
        INSERT OR REPLACE INTO meta(key, value) VALUES ('event_types_version', 'wangge default 1');
)sql";

// Version 3: events. The event classification (versioned: replaced as a whole,
// with its version in meta) and events with the grid they fall in. An event in no
// grid is kept and flagged, with the nearest grid and its distance: an audit
// finding, never a silent drop.
void v3_events(Store& s) {
  sql::exec(s, R"sql(
        CREATE TABLE event_types (
            code              TEXT PRIMARY KEY,
            name              TEXT NOT NULL,
            major_code        TEXT NOT NULL,
            major_name        TEXT NOT NULL,
            platform_code     TEXT NOT NULL,
            platform          TEXT NOT NULL,
            township_closable INTEGER NOT NULL CHECK (township_closable IN (0, 1))
        );
        CREATE TABLE events (
            id            INTEGER PRIMARY KEY,
            event_id      TEXT NOT NULL UNIQUE,
            type_code     TEXT NOT NULL,
            reported_at   TEXT,
            status        TEXT,
            source        TEXT,
            crs           TEXT NOT NULL,
            lon_reported  REAL NOT NULL,
            lat_reported  REAL NOT NULL,
            grid_code     TEXT,
            uncovered     INTEGER NOT NULL DEFAULT 0,
            nearest_grid  TEXT,
            nearest_m     REAL,
            import_id     INTEGER REFERENCES import_runs(id),
            assigned_at   TEXT
        );
        CREATE INDEX events_grid ON events(grid_code);
        CREATE INDEX events_type ON events(type_code);
    )sql");
  sql::exec(
      s, "SELECT AddGeometryColumn('events', 'geom', 4490, 'POINT', 'XY', 1)");
  sql::exec(s, "SELECT CreateSpatialIndex('events', 'geom')");
  sql::exec(s, v3_event_types);
}

// Version 4: how an import's coordinates reached CGCS2000: the source CRS, the
// coordinate operation (PROJ's name) and its accuracy in metres (NULL: unknown;
// 0 for a projection alone), so a ballpark datum shift let through is on record.
void v4_import_crs(Store& s) {
  sql::exec(s, R"sql(
        ALTER TABLE import_runs ADD COLUMN source_crs TEXT;
        ALTER TABLE import_runs ADD COLUMN crs_operation TEXT;
        ALTER TABLE import_runs ADD COLUMN crs_accuracy_m REAL;
    )sql");
}

// Version 5: grid staff and how events are handled.
//
// staff: who serves each grid (网格长 leader, 网格员 worker, 网格指导员 instructor),
// kept in versions like grids: a row is current while valid_to IS NULL; a re-import
// closes the rows it replaces instead of deleting them, so who served a grid when
// stays answerable. The two partial unique indexes make "one current leader per
// grid" and "a staff id once per grid" rules of the store, not of the importer.
//
// events: when and at which level an event was closed (办结), the department that
// handled it and the handler's staff id. The status column (free text since v3) is
// normalised where its value is one of the known words (as trimmed; the English
// words in any ASCII case) to reported / dispatched / in_progress / closed /
// returned; any other value is kept as it was (a reader shows it as stored), since
// guessing what an unknown word meant would invent facts. The words are written out
// here: a released migration never calls code that can still change.
void v5_staff_handling(Store& s) {
  sql::exec(s, R"sql(
        CREATE TABLE staff (
            id          INTEGER PRIMARY KEY,
            grid_code   TEXT NOT NULL,
            role        TEXT NOT NULL CHECK (role IN ('leader','worker','instructor')),
            name        TEXT NOT NULL,
            staff_id    TEXT NOT NULL,
            phone       TEXT,
            employment  TEXT CHECK (employment IS NULL OR employment IN ('full','part')),
            valid_from  TEXT NOT NULL,
            valid_to    TEXT,
            import_id   INTEGER REFERENCES import_runs(id)
        );
        CREATE INDEX staff_grid ON staff(grid_code, valid_to);
        CREATE UNIQUE INDEX staff_current_id ON staff(grid_code, staff_id) WHERE valid_to IS NULL;
        CREATE UNIQUE INDEX staff_current_leader ON staff(grid_code) WHERE valid_to IS NULL AND role = 'leader';
        ALTER TABLE events ADD COLUMN closed_at TEXT;
        ALTER TABLE events ADD COLUMN closed_level TEXT
            CHECK (closed_level IS NULL OR closed_level IN ('grid','village','township','county','department'));
        ALTER TABLE events ADD COLUMN department TEXT;
        ALTER TABLE events ADD COLUMN handler TEXT;
        UPDATE events SET status = CASE
            WHEN lower(trim(status)) IN ('reported', '已上报', '上报', '待受理') THEN 'reported'
            WHEN lower(trim(status)) IN ('dispatched', '已派遣', '派遣', '已分派') THEN 'dispatched'
            WHEN lower(trim(status)) IN ('in_progress', 'in progress', '处置中', '办理中', '处理中') THEN 'in_progress'
            WHEN lower(trim(status)) IN ('closed', '已办结', '办结', '已结案', '结案', '已关闭') THEN 'closed'
            WHEN lower(trim(status)) IN ('returned', '退回', '已退回') THEN 'returned'
            ELSE status END
        WHERE status IS NOT NULL;
    )sql");
}

// Version 6: the history of grids. Every partition run, edit import and rollback is
// a row of partition_runs (a "version" in the CLI), now with its kind, author,
// message and source file; a grid version records the run that closed it, so a
// version's changes can be listed and undone exactly.
void v6_grid_history(Store& s) {
    sql::exec(s, R"sql(
        ALTER TABLE partition_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'partition'
            CHECK (kind IN ('partition','edit','rollback'));
        ALTER TABLE partition_runs ADD COLUMN author TEXT;
        ALTER TABLE partition_runs ADD COLUMN message TEXT;
        ALTER TABLE partition_runs ADD COLUMN source_file TEXT;
        ALTER TABLE grids ADD COLUMN closed_by INTEGER REFERENCES partition_runs(id);
        UPDATE grids SET closed_by = (SELECT r.id FROM partition_runs r WHERE r.started_at = grids.valid_to
                                      ORDER BY r.id LIMIT 1)
        WHERE valid_to IS NOT NULL;
        CREATE INDEX grids_run ON grids(run_id);
        CREATE INDEX grids_closed_by ON grids(closed_by);
    )sql");
}

// Version 7: other departments' grid systems (综治网格, 城管单元网格, 警格...), kept
// as named networks beside the unified grids. A department re-delivers its layer as
// a new version; every version is kept, the newest is the network's current one.
// A foreign code is unique within a version, not across networks.
void v7_networks(Store& s) {
    sql::exec(s, R"sql(
        CREATE TABLE networks (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE network_versions (
            id          INTEGER PRIMARY KEY,
            network_id  INTEGER NOT NULL REFERENCES networks(id),
            version     INTEGER NOT NULL CHECK (version >= 1),
            import_id   INTEGER NOT NULL REFERENCES import_runs(id),
            source_file TEXT NOT NULL,
            code_field  TEXT NOT NULL,
            name_field  TEXT,
            grids       INTEGER NOT NULL,
            area_m2     REAL NOT NULL,
            imported_at TEXT NOT NULL,
            UNIQUE (network_id, version)
        );
        CREATE TABLE network_grids (
            id             INTEGER PRIMARY KEY,
            version_id     INTEGER NOT NULL REFERENCES network_versions(id),
            code           TEXT NOT NULL,
            name           TEXT,
            source_feature INTEGER,
            area_m2        REAL NOT NULL,
            UNIQUE (version_id, code)
        );
    )sql");
    sql::exec(s, "SELECT AddGeometryColumn('network_grids', 'geom', 4490, 'MULTIPOLYGON', 'XY', 1)");
    sql::exec(s, "SELECT CreateSpatialIndex('network_grids', 'geom')");
}

} // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {"foundation: code table, import runs, jurisdictions", v1_foundation},
        {"grids: households, barriers, grids with versions, serial registry, lineage", v2_grids},
        {"events: event classification, events with their grid", v3_events},
        {"import runs: source CRS, coordinate operation and its accuracy", v4_import_crs},
        {"staff of grids with history; events: closed time and level, department, handler", v5_staff_handling},
        {"grid history: kind, author, message and file of each run; the run that closed each grid version", v6_grid_history},
        {"networks: other departments' grid systems, each delivery a version", v7_networks},
    };
    return all;
}

} // namespace wangge::store

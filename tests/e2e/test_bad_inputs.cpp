// The bad-input table: every row of tests/data/bad/*.tsv runs the real binary on a
// broken or hostile input and checks the exit code, the message and what became of
// the store. Every row is also held to the rules for every message: no raw GDAL
// `ERROR n:` lines, no SQLite or JSON library text, nothing called an internal error,
// and stderr short enough to read (file contents quoted and cut, not echoed).
//
// Columns (TAB-separated; # starts a comment line):
//   name | store: none, codes or sample | arguments with {db} {tmp} {data} {sample}
//   ({copy}PATH passes a copy of PATH made in the temp dir)
//   | exit code | substring of stderr or - | store after: unchanged, changed, absent or -
#include <catch2/catch.hpp>

#include "support.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace wangge::test;

namespace {

struct Row {
    std::string table;
    int line = 0;
    std::string name, store, args, expect, after;
    int exit_code = 0;
};

std::vector<Row> load_rows() {
    std::vector<Row> rows;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(data_dir() / "bad"))
        if (e.path().extension() == ".tsv") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::ifstream in(f);
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            if (line.empty() || line[0] == '#') continue;
            std::vector<std::string> cols;
            std::stringstream ss(line);
            std::string col;
            while (std::getline(ss, col, '\t')) cols.push_back(col);
            INFO(f.filename().string() << ":" << n << ": " << line);
            REQUIRE(cols.size() == 6);
            Row r;
            r.table = f.filename().string();
            r.line = n;
            r.name = cols[0];
            r.store = cols[1];
            r.args = cols[2];
            r.exit_code = std::stoi(cols[3]);
            r.expect = cols[4];
            r.after = cols[5];
            REQUIRE((r.store == "none" || r.store == "codes" || r.store == "sample"));
            REQUIRE((r.after == "unchanged" || r.after == "changed" || r.after == "absent" || r.after == "-"));
            rows.push_back(r);
        }
    }
    return rows;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

/// Every row of every table of a store, hashed (FNV-1a): equal digests mean the
/// command changed nothing a reader of the store could see.
std::string full_digest(const fs::path& db) {
    if (!fs::exists(db)) return "(no store)";
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        return "(unreadable)";
    }
    std::vector<std::string> tables;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    std::uint64_t hash = 1469598103934665603ull;
    auto feed = [&hash](const void* p, std::size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) hash = (hash ^ b[i]) * 1099511628211ull;
    };
    std::int64_t rows = 0;
    for (const auto& t : tables) {
        feed(t.data(), t.size());
        const std::string sql = "SELECT * FROM \"" + t + "\"";
        if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) continue;
        while (sqlite3_step(st) == SQLITE_ROW) {
            ++rows;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const void* p = sqlite3_column_blob(st, c);
                feed(p, static_cast<std::size_t>(sqlite3_column_bytes(st, c)));
                const char sep = static_cast<char>(sqlite3_column_type(st, c));
                feed(&sep, 1);
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return std::to_string(tables.size()) + " tables, " + std::to_string(rows) + " rows, " + std::to_string(hash);
}

/// What no message of wangge may contain, whatever the input.
const std::vector<std::pair<std::string, std::regex>>& forbidden() {
    static const std::vector<std::pair<std::string, std::regex>> f = {
        {"raw GDAL message", std::regex(R"((^|\n)ERROR [0-9]+: )")},
        {"raw GDAL warning", std::regex(R"((^|\n)Warning [0-9]+: )")},
        {"SQLite text", std::regex(R"(SQLITE_|sqlite3_|SQL logic error|constraint failed|database is locked|no such (table|column)|store error)")},
        {"JSON library text", std::regex(R"(json\.exception)")},
        {"internal error", std::regex(R"(internal error)")},
        {"CLI11 raw check text", std::regex(R"(Directory does not exist|File does not exist)")},
    };
    return f;
}

} // namespace

TEST_CASE("bad inputs: every row of tests/data/bad/*.tsv gives its exit code and message, and the store "
          "is as the row says",
          "[e2e][bad]") {
    const auto rows = load_rows();
    REQUIRE(rows.size() >= 5);
    std::set<std::string> names;
    for (const auto& row : rows) {
        INFO(row.table << ":" << row.line << " " << row.name);
        REQUIRE(names.insert(row.name).second);
    }
    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.table << ":" << row.line << " " << row.name) {
            TempDir dir("bad-" + row.name);
            fs::create_directories(dir / "tmp");
            const fs::path db = dir / "s.sqlite";
            if (row.store == "codes") {
                REQUIRE(run_wangge({"--db", db.string(), "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
            } else if (row.store == "sample") {
                fs::copy_file(partitioned_sample_store(), db);
                const fs::path wal = partitioned_sample_store() + "-wal";
                if (fs::exists(wal)) fs::copy_file(wal, db.string() + "-wal");
            }
            const std::string before = full_digest(db);

            std::vector<std::string> args;
            std::stringstream as(row.args);
            std::string a;
            while (std::getline(as, a, ' ')) {
                if (a.empty()) continue;
                a = replace_all(a, "{db}", db.string());
                a = replace_all(a, "{tmp}", (dir / "tmp").string());
                a = replace_all(a, "{data}", data_dir().string());
                a = replace_all(a, "{sample}", sample_dir().string());
                // {copy}PATH: a copy of PATH in the temp dir (for commands that rewrite a
                // file in place, such as tiles update: the tree's file stays as it is)
                if (a.rfind("{copy}", 0) == 0) {
                    const fs::path from = a.substr(6);
                    const fs::path to = dir / "tmp" / from.filename();
                    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
                    a = to.string();
                }
                args.push_back(a);
            }
            const auto r = run_wangge(args);
            INFO("args: " << row.args << "\nexit: " << r.exit_code << "\nstdout: " << r.out.substr(0, 2000)
                          << "\nstderr: " << r.err.substr(0, 6000));
            CHECK(r.exit_code == row.exit_code);
            if (row.expect != "-") CHECK_THAT(r.err, Catch::Contains(row.expect));
            for (const auto& [what, re] : forbidden()) {
                INFO("stderr must not contain " << what);
                CHECK_FALSE(std::regex_search(r.err, re));
            }
            CHECK(r.err.size() <= 4000);
            if (row.after == "unchanged") CHECK(full_digest(db) == before);
            else if (row.after == "changed") CHECK(full_digest(db) != before);
            else if (row.after == "absent") CHECK_FALSE(fs::exists(db));
        }
    }
}

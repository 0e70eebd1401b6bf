#include "wangge/assign.hpp"

#include "wangge/csv.hpp"
#include "wangge/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace wangge {

namespace {

constexpr std::size_t block_size = 4 << 20;

struct Shared {
    CsvReader* in = nullptr;
    std::FILE* out = nullptr;
    std::mutex read_mu;
    std::uint64_t next_seq = 0;
    std::mutex write_mu;
    std::condition_variable write_cv;
    std::uint64_t write_seq = 0;
    std::atomic<std::int64_t> rows{0}, assigned{0}, uncovered{0}, bad{0}, rejected{0};
    std::vector<AssignReject> first_rejects;  // under write_mu, in input order
    std::exception_ptr error;
};

/// One record of a block between the passes of a worker.
struct RowWork {
    enum State : unsigned char { parsed, bad, rejected };
    std::string_view rec;
    std::size_t fields = 0;  ///< fields counted (up to the header's width)
    double x = 0, y = 0;     ///< CGCS2000
    int grid = -1;
    State state = parsed;
};

/// parse_coordinate(text, latitude, value).empty(), without making the message: a
/// plain number (no spaces, no '+') is checked here; anything else by parse_coordinate.
bool coordinate_ok(std::string_view text, bool latitude, double& value) {
    const char* const b = text.data();
    const char* const e = b + text.size();
    if (b != e && *b != '+' && *b != ' ' && *b != '\t' && e[-1] != ' ' && e[-1] != '\t' && e[-1] != '\r' &&
        e[-1] != '\n') {
        const auto [p, ec] = std::from_chars(b, e, value);
        if (p == e && ec == std::errc()) {
            const double limit = latitude ? 90 : 180;
            return std::isfinite(value) && value >= -limit && value <= limit;
        }
    }
    return parse_coordinate(text, latitude, value).empty();
}

/// The next block of records from the one CSV reader; false at the end.
bool next_block(Shared& s, CsvChunk& chunk, std::uint64_t& seq) {
    std::lock_guard lock(s.read_mu);
    if (!s.in->read_chunk(chunk, block_size)) return false;
    seq = s.next_seq++;
    return true;
}

/// The fields of a record the reader rejected, quoted again so that the output stays
/// a valid CSV, cut or padded to `columns`.
void append_rejected(std::string& out, std::string_view record, char d, std::size_t columns,
                     std::vector<std::string>& fields) {
    split_csv_record(record, d, fields);
    fields.resize(columns);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += d;
        out += csv_quote(fields[i], d);
    }
}

} // namespace

void refuse_non_csv_input(const std::filesystem::path& in) {
    refuse_non_csv(in, fmt::format("assign reads CSV (give it to 'events import', which reads any GDAL point "
                                   "source, or convert it: ogr2ogr -f CSV -lco GEOMETRY=AS_XY OUT.csv {})",
                                   in.string()));
}

AssignReport assign_csv(const CoverageIndex& index, const AssignOptions& opt, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    refuse_non_csv_input(opt.in);
    CsvReader reader(opt.in, opt.delimiter);
    Shared s;
    s.in = &reader;
    const char d = reader.delimiter();
    const std::size_t columns = reader.header().size();
    // Plain variables, not structured bindings: the lambda below captures them (clang
    // before 16, which builds the fuzz targets, cannot capture a structured binding).
    InputColumnRequest want;
    want.x_field = opt.x_field;
    want.y_field = opt.y_field;
    const InputColumns columns_xy = choose_input_columns(reader.header(), want, opt.in.string());
    const std::size_t cx = columns_xy.x, cy = columns_xy.y;

    const std::string tmp = opt.out.string() + ".tmp";
    s.out = std::fopen(tmp.c_str(), "wb");
    if (!s.out) throw io_error(fmt::format("{}: cannot write", opt.out.string()));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out_guard(s.out, std::fclose);
    std::string head_out =
        (reader.had_bom() ? "\xEF\xBB\xBF" : "") + reader.header_line() + d + opt.code_column + d + opt.status_column;
    if (opt.nearest) head_out += std::string(1, d) + "nearest_grid" + d + "nearest_m";
    head_out += '\n';
    std::fwrite(head_out.data(), 1, head_out.size(), s.out);

    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(opt.threads > 0 ? opt.threads : hw, 1, 64);
    const std::size_t need_cols = std::max(cx, cy);
    const bool convert = opt.crs == chinacrs::Datum::gcj02 || opt.crs == chinacrs::Datum::bd09;
    const std::string no_nearest = opt.nearest ? std::string(2, d) : std::string();

    auto worker = [&](bool report) {
        CsvChunk chunk;
        std::string out;
        std::vector<std::string> fields;
        std::vector<AssignReject> rejects;
        std::vector<RowWork> rows_of_block;
        std::vector<double> xs, ys;
        std::vector<int> grids;
        std::uint64_t seq;
        try {
            while (next_block(s, chunk, seq)) {
                out.clear();
                out.reserve(chunk.text.size() + chunk.text.size() / 3);
                rejects.clear();
                std::int64_t rows = 0, assigned = 0, uncovered = 0, bad = 0;
                // Three passes over the block: split and parse every record, then find the
                // grids of all parsed points in one tight loop (the index lookups are memory
                // bound: back to back, the processor overlaps their cache misses), then write.
                rows_of_block.clear();
                for_each_record(chunk, [&](std::string_view rec, std::int64_t line, const std::string& error) {
                    ++rows;
                    RowWork& w = rows_of_block.emplace_back();
                    w.rec = rec;
                    if (!error.empty()) {
                        rejects.push_back({line, error});
                        w.state = RowWork::rejected;
                        return;
                    }
                    // the x and y fields and the number of fields, by counting delimiters
                    // (records with quotes: the full splitter)
                    std::string_view fx, fy;
                    std::size_t n = 0;
                    if (std::memchr(rec.data(), '"', rec.size()) == nullptr) {
                        std::size_t start = 0, q = 0;
                        for (;; ++q) {
                            if (q == rec.size() || rec[q] == d) {
                                if (n == cx) fx = rec.substr(start, q - start);
                                if (n == cy) fy = rec.substr(start, q - start);
                                ++n;
                                if (q == rec.size() || n > need_cols) break;
                                start = q + 1;
                            }
                        }
                        if (q < rec.size()) {  // rec[q] is a delimiter: the fields after it, up to the header's width
                            ++n;
                            const char* const e = rec.data() + rec.size();
                            for (const char* c = rec.data() + q + 1; n < columns; ++n) {
                                c = static_cast<const char*>(std::memchr(c, d, static_cast<std::size_t>(e - c)));
                                if (!c) break;
                                ++c;
                            }
                        }
                    } else {
                        split_csv_record(rec, d, fields);
                        n = fields.size();
                        if (n > need_cols) {
                            fx = fields[cx];
                            fy = fields[cy];
                        }
                    }
                    w.fields = n;
                    double x = 0, y = 0;
                    if (!(n > need_cols && coordinate_ok(fx, false, x) && coordinate_ok(fy, true, y))) {
                        w.state = RowWork::bad;
                        return;
                    }
                    if (convert) {
                        const auto ll = chinacrs::to_cgcs2000(opt.crs, x, y);
                        x = ll.lon;
                        y = ll.lat;
                    }
                    w.x = x;
                    w.y = y;
                });
                xs.clear();
                ys.clear();
                for (const auto& w : rows_of_block)
                    if (w.state == RowWork::parsed) {
                        xs.push_back(w.x);
                        ys.push_back(w.y);
                    }
                grids.resize(xs.size());
                index.locate(xs.data(), ys.data(), grids.data(), xs.size());
                {
                    std::size_t i = 0;
                    for (auto& w : rows_of_block)
                        if (w.state == RowWork::parsed) w.grid = grids[i++];
                }
                for (const auto& w : rows_of_block) {
                    if (w.state == RowWork::rejected) {
                        append_rejected(out, w.rec, d, columns, fields);
                        out += d;
                        out += d;
                        out += "bad_record";
                        out += no_nearest;
                        out += '\n';
                        continue;
                    }
                    out.append(w.rec);
                    if (w.fields < columns) out.append(columns - w.fields, d);  // short rows: padded to the header
                    out += d;
                    if (w.state == RowWork::bad) {
                        ++bad;
                        out += d;
                        out += "bad_coordinates";
                        out += no_nearest;
                        out += '\n';
                        continue;
                    }
                    if (w.grid >= 0) {
                        ++assigned;
                        out += index.code(w.grid);
                        out += d;
                        out += "assigned";
                        out += no_nearest;
                    } else {
                        ++uncovered;
                        out += d;
                        out += "uncovered";
                        if (opt.nearest) {
                            const auto [near, dist] = index.nearest(w.x, w.y);
                            out += d;
                            if (near >= 0) {
                                out += index.code(near);
                                out += d;
                                out += fmt::format("{:.1f}", dist);
                            } else {
                                out += d;
                            }
                        }
                    }
                    out += '\n';
                }
                {
                    std::unique_lock lock(s.write_mu);
                    s.write_cv.wait(lock, [&] { return s.write_seq == seq || s.error; });
                    if (s.error) return;
                    if (std::fwrite(out.data(), 1, out.size(), s.out) != out.size())
                        throw io_error(fmt::format("{}: write failed (disk full?)", opt.out.string()));
                    for (const auto& r : rejects)
                        if (s.first_rejects.size() < 50) s.first_rejects.push_back(r);
                    ++s.write_seq;
                }
                s.write_cv.notify_all();
                s.rows += rows;
                s.assigned += assigned;
                s.uncovered += uncovered;
                s.bad += bad;
                s.rejected += static_cast<std::int64_t>(rejects.size());
                if (report && progress) {
                    std::lock_guard lock(s.read_mu);
                    progress(static_cast<std::int64_t>(reader.position()), static_cast<std::int64_t>(reader.size()),
                             "assigning");
                }
            }
        } catch (...) {
            std::lock_guard lock(s.write_mu);
            if (!s.error) s.error = std::current_exception();
            s.write_cv.notify_all();
        }
    };
    {
        std::vector<std::jthread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(worker, false);
        worker(true);
    }
    std::error_code ec;
    if (s.error) {
        std::filesystem::remove(tmp, ec);
        std::rethrow_exception(s.error);
    }
    out_guard.reset();
    std::filesystem::rename(tmp, opt.out, ec);
    if (ec) throw io_error(fmt::format("{}: cannot move the output into place: {}", opt.out.string(), ec.message()));
    AssignReport rep;
    rep.rows = s.rows;
    rep.assigned = s.assigned;
    rep.uncovered = s.uncovered;
    rep.bad = s.bad;
    rep.rejected = s.rejected;
    rep.first_rejects = std::move(s.first_rejects);
    rep.threads = threads;
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace wangge

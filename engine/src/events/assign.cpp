#include "wangge/assign.hpp"

#include "wangge/csv.hpp"
#include "wangge/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace wangge {

namespace {

constexpr std::size_t block_size = 4 << 20;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool parse_num(const char* b, const char* e, double& v) {
    while (b < e && (*b == ' ' || *b == '"')) ++b;
    while (e > b && (e[-1] == ' ' || e[-1] == '"' || e[-1] == '\r')) --e;
    if (b < e && *b == '+') ++b;
    auto [p, ec] = std::from_chars(b, e, v);
    return ec == std::errc() && p == e && std::isfinite(v);
}

struct Shared {
    std::FILE* in = nullptr;
    std::FILE* out = nullptr;
    std::mutex read_mu;
    std::string carry;
    bool eof = false;
    std::uint64_t next_seq = 0;
    std::mutex write_mu;
    std::condition_variable write_cv;
    std::uint64_t write_seq = 0;
    std::atomic<std::int64_t> rows{0}, assigned{0}, uncovered{0}, bad{0};
    std::atomic<std::uint64_t> bytes{0};
    std::exception_ptr error;
};

/// Read the next block ending at a line end outside quotes; false at the end.
bool next_block(Shared& s, std::string& block, std::uint64_t& seq) {
    std::lock_guard lock(s.read_mu);
    if (s.eof && s.carry.empty()) return false;
    block.swap(s.carry);
    s.carry.clear();
    while (!s.eof) {
        const std::size_t old = block.size();
        block.resize(old + block_size);
        const std::size_t n = std::fread(block.data() + old, 1, block_size, s.in);
        block.resize(old + n);
        if (n < block_size) s.eof = true;
        // cut after the last line end outside quotes
        std::size_t cut = std::string::npos;
        if (std::memchr(block.data(), '"', block.size()) == nullptr) {
            cut = block.rfind('\n');
        } else {
            bool q = false;
            for (std::size_t i = 0; i < block.size(); ++i) {
                if (block[i] == '"') q = !q;
                else if (block[i] == '\n' && !q) cut = i;
            }
        }
        if (cut != std::string::npos) {
            s.carry.assign(block, cut + 1, std::string::npos);
            block.resize(cut + 1);
            break;
        }
        if (s.eof) break;  // last line without an end
    }
    if (block.empty()) return false;
    seq = s.next_seq++;
    return true;
}

} // namespace

AssignReport assign_csv(const CoverageIndex& index, const AssignOptions& opt, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    Shared s;
    s.in = std::fopen(opt.in.string().c_str(), "rb");
    if (!s.in) throw io_error(fmt::format("{}: cannot open", opt.in.string()));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in_guard(s.in, std::fclose);
    std::error_code ec;
    const auto total = std::filesystem::file_size(opt.in, ec);

    // header
    std::string header;
    for (int c; (c = std::fgetc(s.in)) != EOF && c != '\n';) header += static_cast<char>(c);
    if (header.empty()) throw input_error(fmt::format("{}: empty file (no header line)", opt.in.string()));
    if (!header.empty() && header.back() == '\r') header.pop_back();
    std::string header_clean = header;
    if (header_clean.compare(0, 3, "\xEF\xBB\xBF") == 0) header_clean.erase(0, 3);
    const char d = opt.delimiter ? opt.delimiter : guess_delimiter(header_clean);
    std::vector<std::string> cols;
    split_csv_record(header_clean, d, cols);
    auto find = [&](std::initializer_list<std::string> names) -> std::optional<std::size_t> {
        for (const auto& n : names)
            for (std::size_t i = 0; i < cols.size(); ++i)
                if (lower(cols[i]) == lower(n)) return i;
        return std::nullopt;
    };
    auto need = [&](std::optional<std::size_t> i, const std::string& what, const char* option) {
        if (i) return *i;
        std::string names;
        for (const auto& c : cols) names += (names.empty() ? "" : ", ") + c;
        throw input_error(fmt::format("{}: no {} column ({}); its columns are: {}", opt.in.string(), what, option, names));
    };
    const std::size_t cx = need(opt.x_field.empty() ? find({"lon", "lng", "longitude", "x", "经度"}) : find({opt.x_field}),
                                opt.x_field.empty() ? "longitude (lon/lng/longitude/x)" : "'" + opt.x_field + "'",
                                "--x-field");
    const std::size_t cy = need(opt.y_field.empty() ? find({"lat", "latitude", "y", "纬度"}) : find({opt.y_field}),
                                opt.y_field.empty() ? "latitude (lat/latitude/y)" : "'" + opt.y_field + "'", "--y-field");

    const std::string tmp = opt.out.string() + ".tmp";
    s.out = std::fopen(tmp.c_str(), "wb");
    if (!s.out) throw io_error(fmt::format("{}: cannot write", opt.out.string()));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out_guard(s.out, std::fclose);
    std::string head_out = header + d + opt.code_column;
    if (opt.nearest) head_out += std::string(1, d) + "nearest_grid" + d + "nearest_m";
    head_out += '\n';
    std::fwrite(head_out.data(), 1, head_out.size(), s.out);

    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(opt.threads > 0 ? opt.threads : hw, 1, 64);
    const std::size_t need_cols = std::max(cx, cy);
    const bool convert = opt.crs == chinacrs::Datum::gcj02 || opt.crs == chinacrs::Datum::bd09;

    auto worker = [&](bool report) {
        std::string block, out;
        std::vector<std::string> fields;
        std::uint64_t seq;
        try {
            while (next_block(s, block, seq)) {
                out.clear();
                out.reserve(block.size() + block.size() / 3);
                std::int64_t rows = 0, assigned = 0, uncovered = 0, bad = 0;
                const char* p = block.data();
                const char* end = p + block.size();
                while (p < end) {
                    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
                    const char* le = nl ? nl : end;
                    const char* line_end = (le > p && le[-1] == '\r') ? le - 1 : le;
                    if (line_end == p) {  // blank line: kept as is
                        out.append(p, le);
                        if (nl) out += '\n';
                        p = nl ? nl + 1 : end;
                        continue;
                    }
                    ++rows;
                    // the x and y fields, by counting delimiters (quoted lines: the full splitter)
                    double x = 0, y = 0;
                    bool ok = false;
                    if (std::memchr(p, '"', static_cast<std::size_t>(line_end - p)) == nullptr) {
                        const char* fb[2] = {nullptr, nullptr};
                        const char* fe[2] = {nullptr, nullptr};
                        std::size_t col = 0;
                        const char* start = p;
                        for (const char* q = p;; ++q) {
                            if (q == line_end || *q == d) {
                                if (col == cx) {
                                    fb[0] = start;
                                    fe[0] = q;
                                }
                                if (col == cy) {
                                    fb[1] = start;
                                    fe[1] = q;
                                }
                                if (col >= need_cols || q == line_end) break;
                                ++col;
                                start = q + 1;
                            }
                        }
                        ok = fb[0] && fb[1] && parse_num(fb[0], fe[0], x) && parse_num(fb[1], fe[1], y);
                    } else {
                        split_csv_record(std::string_view(p, static_cast<std::size_t>(line_end - p)), d, fields);
                        ok = fields.size() > need_cols &&
                             parse_num(fields[cx].data(), fields[cx].data() + fields[cx].size(), x) &&
                             parse_num(fields[cy].data(), fields[cy].data() + fields[cy].size(), y);
                    }
                    out.append(p, line_end);
                    out += d;
                    if (!ok || x < -180 || x > 180 || y < -90 || y > 90) {
                        ++bad;
                        if (opt.nearest) {
                            out += d;
                            out += d;
                        }
                    } else {
                        if (convert) {
                            const auto ll = chinacrs::to_cgcs2000(opt.crs, x, y);
                            x = ll.lon;
                            y = ll.lat;
                        }
                        const int g = index.locate(x, y);
                        if (g >= 0) {
                            ++assigned;
                            out += index.code(g);
                            if (opt.nearest) {
                                out += d;
                                out += d;
                            }
                        } else {
                            ++uncovered;
                            if (opt.nearest) {
                                const auto [n, dist] = index.nearest(x, y);
                                out += d;
                                if (n >= 0) {
                                    out += index.code(n);
                                    out += d;
                                    out += fmt::format("{:.1f}", dist);
                                } else {
                                    out += d;
                                }
                            }
                        }
                    }
                    out += '\n';
                    p = nl ? nl + 1 : end;
                }
                {
                    std::unique_lock lock(s.write_mu);
                    s.write_cv.wait(lock, [&] { return s.write_seq == seq || s.error; });
                    if (s.error) return;
                    if (std::fwrite(out.data(), 1, out.size(), s.out) != out.size())
                        throw io_error(fmt::format("{}: write failed (disk full?)", opt.out.string()));
                    ++s.write_seq;
                }
                s.write_cv.notify_all();
                s.rows += rows;
                s.assigned += assigned;
                s.uncovered += uncovered;
                s.bad += bad;
                s.bytes += block.size();
                if (report && progress)
                    progress(static_cast<std::int64_t>(s.bytes.load()), static_cast<std::int64_t>(total), "assigning");
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
    rep.threads = threads;
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace wangge

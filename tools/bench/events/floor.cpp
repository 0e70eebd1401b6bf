// assign_floor — the floor `wangge assign` is measured against (tools/bench/events/run.sh).
//
// It does what assign does minus finding the grid: the same CSV reader (CsvReader,
// blocks of the same size cut at line ends), the same number of worker threads, the
// same coordinate columns (choose_input_columns), two floats parsed per row, and each
// row written back in input order with one column added ("ok", or "bad" when a
// coordinate does not parse). Not installed; a benchmark target only.
//
//   assign_floor --in EVENTS.csv --out OUT.csv [--threads N]
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <wangge/csv.hpp>

namespace {

constexpr std::size_t block_size = 4 << 20;  // as assign.cpp

bool parse(std::string_view s, double& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

int run(int argc, char** argv) {
    std::string in, out;
    int threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--in")
            in = argv[i + 1];
        else if (a == "--out")
            out = argv[i + 1];
        else if (a == "--threads" || a == "-j")
            threads = std::max(1, std::atoi(argv[i + 1]));
        else
            throw std::runtime_error(fmt::format("unknown option {}", a));
    }
    if (in.empty() || out.empty())
        throw std::runtime_error("usage: assign_floor --in IN.csv --out OUT.csv [--threads N]");
    const auto t0 = std::chrono::steady_clock::now();
    wangge::CsvReader reader(in);
    const char d = reader.delimiter();
    const auto cols = wangge::choose_input_columns(reader.header(), {}, in);
    const std::size_t last = std::max(cols.x, cols.y);
    std::FILE* f = std::fopen(out.c_str(), "wb");
    if (!f) throw std::runtime_error(out + ": cannot write");
    const std::string head = reader.header_line() + d + "floor\n";
    std::fwrite(head.data(), 1, head.size(), f);

    std::mutex read_mu, write_mu;
    std::condition_variable write_cv;
    std::uint64_t next_seq = 0, write_seq = 0;
    std::int64_t rows = 0;
    std::exception_ptr error;
    auto worker = [&] {
        wangge::CsvChunk chunk;
        std::string buf;
        std::vector<std::string> fields;
        try {
            for (;;) {
                std::uint64_t seq;
                {
                    std::lock_guard lock(read_mu);
                    if (!reader.read_chunk(chunk, block_size)) return;
                    seq = next_seq++;
                }
                buf.clear();
                buf.reserve(chunk.text.size() + chunk.text.size() / 8);
                std::int64_t n = 0;
                wangge::for_each_record(chunk, [&](std::string_view rec, std::int64_t, const std::string&) {
                    ++n;
                    // the two fields by counting delimiters (records with quotes: the full splitter)
                    std::string_view fx, fy;
                    bool found = false;
                    if (std::memchr(rec.data(), '"', rec.size()) == nullptr) {
                        std::size_t start = 0;
                        for (std::size_t i = 0; i <= last; ++i) {
                            const std::size_t e = std::min(rec.find(d, start), rec.size());
                            if (i == cols.x) fx = rec.substr(start, e - start);
                            if (i == cols.y) fy = rec.substr(start, e - start);
                            found = i == last;
                            if (e == rec.size()) break;
                            start = e + 1;
                        }
                    } else {
                        wangge::split_csv_record(rec, d, fields);
                        if ((found = last < fields.size())) {
                            fx = fields[cols.x];
                            fy = fields[cols.y];
                        }
                    }
                    double x = 0, y = 0;
                    const bool ok = found && parse(fx, x) && parse(fy, y);
                    buf.append(rec);
                    buf += d;
                    buf += ok ? "ok\n" : "bad\n";
                });
                std::unique_lock lock(write_mu);
                write_cv.wait(lock, [&] { return write_seq == seq || error; });
                if (error) return;
                std::fwrite(buf.data(), 1, buf.size(), f);
                rows += n;
                ++write_seq;
                write_cv.notify_all();
            }
        } catch (...) {
            std::lock_guard lock(write_mu);
            if (!error) error = std::current_exception();
            write_cv.notify_all();
        }
    };
    {
        std::vector<std::jthread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
        worker();
    }
    std::fclose(f);
    if (error) std::rethrow_exception(error);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("{} rows; {:.2f} s ({} threads)\n", rows, s, threads);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "assign_floor: {}\n", e.what());
        return 1;
    }
}

-- wrk script of the serve benchmark (run.sh): requests tile paths read from a list file,
-- one a line, with Accept-Encoding: gzip (as a map client sends).
--   wrk ... -s urls.lua URL -- LIST [random|sequential]
-- random (default): each thread draws paths at random from the list (seeded by thread).
-- sequential: thread i of n asks paths i, i+n, i+2n, ... so that no path is asked twice
--   until the list wraps (the cold pass of tiles made on demand).
-- done() prints one line "RESULT key=value ..." that run.sh parses: requests, seconds,
-- requests/s, latency p50/p90/p99/max in ms, errors by kind (status = non-2xx/3xx).
local id_counter = 0

function setup(thread)  -- main state: number the threads (wrk has no thread id of its own)
  id_counter = id_counter + 1
  thread:set("id", id_counter)
end

local paths = {}
local mode = "random"
local pos = 0
local step = 1

function init(args)
  local list = args[1]
  if list == nil then error("usage: wrk ... -s urls.lua URL -- LIST [random|sequential]") end
  mode = args[2] or "random"
  for line in io.lines(list) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no path in " .. list) end
  -- the thread count, from run.sh (init cannot see the other threads)
  step = tonumber(os.getenv("WRK_THREADS") or "2")
  pos = (id or 1) - 1
  math.randomseed(7919 * (id or 1))
  wrk.headers["Accept-Encoding"] = "gzip"
end

function request()
  local p
  if mode == "sequential" then
    p = paths[(pos % #paths) + 1]
    pos = pos + step
  else
    p = paths[math.random(#paths)]
  end
  return wrk.format("GET", p)
end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d bytes=%d\n",
    summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end

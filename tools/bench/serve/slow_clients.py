#!/usr/bin/env python3
"""Slow clients of the serve benchmark (run.sh): N connections that each send one HTTP
request one byte per second (a slowloris), to show that they hold no thread of the
server and that its timeouts close them.

Usage: slow_clients.py HOST PORT PATH [--n 500] [--duration 75] [--reconnect] [--json OUT]

Opens the N connections (refused ones are counted), then sends the request's bytes, one
a second on each connection, for DURATION seconds. A connection is 'closed by the
server' when a read returns end of file or a reset, or a send fails; the time from its
connect and the bytes it had sent are recorded, and whether the server answered
anything first (e.g. 408). With --reconnect a closed client connects again at once (as
an attacker would), so that N slow connections are kept up for the whole run. Prints a
summary line every 5 s and a JSON summary at the end.
"""
import argparse
import asyncio
import json
import sys
import time


async def client(i, args, req, stats, t0):
    while await one_connection(args, req, stats, t0) and args.reconnect and time.monotonic() < t0 + args.duration:
        stats["reconnects"] += 1


async def one_connection(args, req, stats, t0):
    """One slow connection; True when the server closed it."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), 10)
    except (OSError, asyncio.TimeoutError) as e:
        stats["connect_failed"] += 1
        stats["connect_errors"][type(e).__name__] = stats["connect_errors"].get(type(e).__name__, 0) + 1
        await asyncio.sleep(1)
        return True
    tc = time.monotonic()
    stats["open"] += 1
    stats["opened"] += 1
    sent = 0
    answer = b""

    async def watch():
        nonlocal answer
        try:
            while True:
                b = await reader.read(4096)
                if not b:
                    return "eof"
                answer += b
        except (ConnectionResetError, OSError):
            return "reset"

    w = asyncio.ensure_future(watch())
    end = t0 + args.duration
    how = None
    try:
        while time.monotonic() < end:
            if w.done():
                how = w.result()
                break
            try:
                writer.write(req[sent % len(req):sent % len(req) + 1])
                await writer.drain()
                sent += 1
            except (ConnectionResetError, BrokenPipeError, OSError):
                how = "send failed"
                break
            done, _ = await asyncio.wait({w}, timeout=1.0)
            if done:
                how = w.result()
                break
    finally:
        stats["open"] -= 1
        if how is not None:
            stats["closed_by_server"] += 1
            stats["close_after_s"].append(round(time.monotonic() - tc, 1))
            stats["bytes_before_close"].append(sent)
            first = answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "(nothing)"
            stats["answers"][first] = stats["answers"].get(first, 0) + 1
            stats["how"][how] = stats["how"].get(how, 0) + 1
        else:
            stats["open_at_end"] += 1
        w.cancel()
        writer.close()
    return how is not None


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--duration", type=float, default=75)
    ap.add_argument("--reconnect", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    req = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
           "User-Agent: slow-client\r\nAccept-Encoding: gzip\r\nX-Padding: " + "a" * 200 + "\r\n\r\n").encode()
    stats = dict(reconnects=0, opened=0, open=0, connect_failed=0, connect_errors={}, closed_by_server=0, open_at_end=0,
                 close_after_s=[], bytes_before_close=[], answers={}, how={})
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(client(i, args, req, stats, t0)) for i in range(args.n)]

    async def progress():
        while True:
            await asyncio.sleep(5)
            print(f"[slow] t={time.monotonic() - t0:5.1f}s open={stats['open']} closed_by_server="
                  f"{stats['closed_by_server']} connect_failed={stats['connect_failed']} reconnects={stats['reconnects']}", file=sys.stderr, flush=True)

    p = asyncio.ensure_future(progress())
    await asyncio.gather(*tasks)
    p.cancel()
    c = stats["close_after_s"]
    out = {k: stats[k] for k in ("reconnects", "opened", "connect_failed", "connect_errors", "closed_by_server", "open_at_end",
                                 "answers", "how")}
    out.update(n=args.n, duration_s=args.duration, reconnect=args.reconnect, request_bytes=len(req),
               close_after_s_min=min(c) if c else None, close_after_s_p50=pct(c, 50),
               close_after_s_max=max(c) if c else None,
               bytes_before_close_max=max(stats["bytes_before_close"]) if c else None)
    s = json.dumps(out, ensure_ascii=False)
    print(s)
    if args.json:
        with open(args.json, "w") as f:
            f.write(s + "\n")


if __name__ == "__main__":
    asyncio.run(main())

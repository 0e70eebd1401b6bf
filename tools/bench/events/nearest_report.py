#!/usr/bin/env python3
"""Renders nearest.sh's work directory as a Markdown table."""
import csv
import os
import statistics
import sys


def rows(path, n=None):
    with open(path, newline="") as f:
        out = []
        for i, r in enumerate(csv.DictReader(f)):
            if n is not None and i >= n:
                break
            out.append(r)
        return out


def main():
    work = sys.argv[1]
    t = {}
    for line in open(os.path.join(work, "times.txt")):
        side, kind, n, cp, wp, runs_p, cn, wn, runs_n = line.split()
        t[side, kind] = dict(n=int(n), cpu_plain=float(cp), cpu_near=float(cn), wall_plain=float(wp),
                             wall_near=float(wn), runs_plain=runs_p, runs_near=runs_n,
                             us=(float(cn) - float(cp)) / int(n) * 1e6)
    cols = ["near", "far"]
    head = ("| measure | near: points in no grid in the grids' bounding box grown by 0.05° |"
            " far: London, Sydney, New York, either side of the antimeridian, ±0.5° |")
    print(head)
    print("|---|---|---|")

    def line(label, f):
        print(f"| {label} | " + " | ".join(f(k) for k in cols) + " |")

    line("points timed: new / old", lambda k: f"{t['new', k]['n']:,} / {t['old', k]['n']:,}")
    line("**new: CPU time per point in no grid**¹", lambda k: f"**{t['new', k]['us']:.1f} µs**")
    line("old: CPU time per point in no grid¹", lambda k: f"{t['old', k]['us']:,.0f} µs")
    line("**ratio old ÷ new**", lambda k: f"**{t['old', k]['us'] / t['new', k]['us']:,.0f}×**")
    for side in ("new", "old"):
        line(f"{side}: `assign --nearest` / without, CPU s, median (the runs)",
             lambda k, s=side: f"{t[s, k]['cpu_near']:.2f} <sub>({t[s, k]['runs_near'].replace(',', ', ')})</sub> / "
                               f"{t[s, k]['cpu_plain']:.2f} <sub>({t[s, k]['runs_plain'].replace(',', ', ')})</sub>")
    line("new: wall clock per point (machine shared)", lambda k: f"{(t['new', k]['wall_near'] - t['new', k]['wall_plain']) / t['new', k]['n'] * 1e6:.1f} µs")
    agree = {}
    for k in cols:
        old = rows(os.path.join(work, f"old-{k}-nearest.csv"))
        new = rows(os.path.join(work, f"new-{k}-nearest.csv"), len(old))
        same = sum(1 for a, b in zip(old, new) if a["nearest_grid"] == b["nearest_grid"])
        ratio = [float(b["nearest_m"]) / float(a["nearest_m"]) for a, b in zip(old, new) if float(a["nearest_m"]) > 0]
        dist = [float(r["nearest_m"]) for r in rows(os.path.join(work, f"new-{k}-nearest.csv"))]
        agree[k] = (same, len(old), ratio, dist)
    line("on the old method's points: same nearest grid, old and new", lambda k: f"{agree[k][0]:,} of {agree[k][1]:,}")
    line("nearest_m new ÷ old: median (min – max)",
         lambda k: f"{statistics.median(agree[k][2]):.4f} ({min(agree[k][2]):.4f} – {max(agree[k][2]):.4f})")
    line("new: nearest_m, median (min – max)",
         lambda k: f"{statistics.median(agree[k][3]):,.1f} m ({min(agree[k][3]):,.1f} – {max(agree[k][3]):,.0f} m)")
    print()
    print("¹ (CPU seconds of `wangge assign --grids grids.gpkg --in POINTS.csv --out OUT.csv --threads 1 --nearest`"
          " − the same without `--nearest`) ÷ points, user + system time by `/usr/bin/time`, median of each; every point"
          " is in no grid.")
    print()
    print("```")
    print(open(os.path.join(work, "machine.txt")).read().rstrip())
    print("```")


if __name__ == "__main__":
    main()

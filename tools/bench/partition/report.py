#!/usr/bin/python3
"""Render the partition benchmark as Markdown: wangge and the baseline side by side.

    report.py DIR

DIR is run.sh's work directory: wangge_time.N.txt and baseline_time.N.txt (/usr/bin/time -v),
baseline_timing.N.json, wangge_metrics.json, baseline_metrics.json, machine.txt, command.txt.
"""
import glob
import json
import os
import re
import statistics
import sys


def time_v(path):
    """(wall seconds, max RSS MiB) from /usr/bin/time -v output."""
    txt = open(path).read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", txt)
    parts = [float(p) for p in m.group(1).split(":")]
    wall = 0.0
    for p in parts:
        wall = wall * 60 + p
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt).group(1)) / 1024
    return wall, rss


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_runs(xs, unit="s", nd=2):
    return f"{med(xs):.{nd}f} {unit}".strip() + f" <sub>({', '.join(f'{x:.{nd}f}' for x in xs)})</sub>"


def ratio(a, b, mag=False):
    if mag:
        a, b = abs(a), abs(b)
    if b == 0 or a != a or b != b:
        return "—"
    r = a / b
    if r >= 100:
        return "> 100×"
    return f"{r:.2f}×"


def pctf(x, signed=False, nd=1):
    return f"{x:+.{nd}%}" if signed else f"{x:.{nd}%}"


def main():
    d = sys.argv[1]
    wt = [time_v(p) for p in sorted(glob.glob(os.path.join(d, "wangge_time.*.txt")))]
    bt = [time_v(p) for p in sorted(glob.glob(os.path.join(d, "baseline_time.*.txt")))]
    bj = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "baseline_timing.*.json")))]
    W = json.load(open(os.path.join(d, "wangge_metrics.json")))
    B = json.load(open(os.path.join(d, "baseline_metrics.json")))
    machine = open(os.path.join(d, "machine.txt")).read().strip()

    w_wall = [x[0] for x in wt]
    w_rss = [x[1] for x in wt]
    b_wall = [x[0] for x in bt]
    b_rss = [x[1] for x in bt]
    b_part = [j["partition_s"] for j in bj]
    procs = bj[0]["procs"] if bj else "?"

    rows = []

    def row(name, w, b, r="—"):
        rows.append(f"| {name} | {w} | {b} | {r} |")

    row("partition time¹, median of 3 (the 3 runs)", fmt_runs(w_wall), fmt_runs(b_part), ratio(med(w_wall), med(b_part)))
    row("whole process time², median of 3", fmt_runs(w_wall), fmt_runs(b_wall), ratio(med(w_wall), med(b_wall)))
    row("max RSS of the process, median of 3", f"{med(w_rss):.0f} MiB", f"{med(b_rss):.0f} MiB", ratio(med(w_rss), med(b_rss)))
    row("grids", f"{W['grids']:,}", f"{B['grids']:,}", ratio(W["grids"], B["grids"]))
    row("villages whose grid count ≠ policy k", W["villages_k_differs"], B["villages_k_differs"])
    row("households per grid, mean (recounted)", f"{W['hh_per_grid_mean']:.1f}", f"{B['hh_per_grid_mean']:.1f}")
    row("households in no grid of their village", f"{W['households_unplaced']:.0f}", f"{B['households_unplaced']:.0f}")
    row("**grids inside their village's band**", f"**{pctf(W['in_band_share'])}**", f"**{pctf(B['in_band_share'])}**",
        ratio(W["in_band_share"], B["in_band_share"]))
    row("grids out of band: below min / above max", f"{W['below_band']} / {W['above_band']}",
        f"{B['below_band']} / {B['above_band']}")
    row("deviation (w−T)/T: median", pctf(W["dev_median"], True), pctf(B["dev_median"], True))
    row("deviation: median of \\|w−T\\|/T", pctf(W["dev_abs_median"]), pctf(B["dev_abs_median"]),
        ratio(W["dev_abs_median"], B["dev_abs_median"]))
    row("deviation: 5th / 95th percentile", f"{pctf(W['dev_p5'], True)} / {pctf(W['dev_p95'], True)}",
        f"{pctf(B['dev_p5'], True)} / {pctf(B['dev_p95'], True)}",
        f"{ratio(W['dev_p5'], B['dev_p5'], True)} / {ratio(W['dev_p95'], B['dev_p95'], True)}")
    row("deviation: worst below / above", f"{pctf(W['dev_min'], True)} / {pctf(W['dev_max'], True)}",
        f"{pctf(B['dev_min'], True)} / {pctf(B['dev_max'], True)}",
        f"{ratio(W['dev_min'], B['dev_min'], True)} / {ratio(W['dev_max'], B['dev_max'], True)}")
    row("per-village spread max−min of deviation: median / max",
        f"{W['spread_median']:.2f} / {W['spread_max']:.2f}", f"{B['spread_median']:.2f} / {B['spread_max']:.2f}",
        f"{ratio(W['spread_median'], B['spread_median'])} / {ratio(W['spread_max'], B['spread_max'])}")
    row("compactness Polsby-Popper: median / 10th pct", f"{W['pp_median']:.3f} / {W['pp_p10']:.3f}",
        f"{B['pp_median']:.3f} / {B['pp_p10']:.3f}",
        f"{ratio(W['pp_median'], B['pp_median'])} / {ratio(W['pp_p10'], B['pp_p10'])}")
    row("multipart grids (not contiguous)", W["multipart_grids"], B["multipart_grids"])
    row("invalid geometries / grids with holes", f"{W['invalid_count']} / {W['grids_with_holes']}",
        f"{B['invalid_count']} / {B['grids_with_holes']}")
    row("cover: worst \\|area(∪ grids) − area(village)\\| / area(village)", f"{W['cover_err_max']:.1e}",
        f"{B['cover_err_max']:.1e}")
    row("cover: worst gap / worst spill (share of village area)", f"{W['gap_max']:.1e} / {W['spill_max']:.1e}",
        f"{B['gap_max']:.1e} / {B['spill_max']:.1e}")
    row("overlap between grids of a village, total / worst village", f"{W['overlap_total']:.1e} / {W['overlap_max']:.1e}",
        f"{B['overlap_total']:.1e} / {B['overlap_max']:.1e}")
    row("villages with a cover error above 1e-9", W["villages_cover_not_exact"], B["villages_cover_not_exact"])
    row(f"interior grid boundary on barriers ({W['barrier_villages']} villages crossed)",
        pctf(W["barrier_edge_share"]), pctf(B["barrier_edge_share"], nd=4),
        ratio(W["barrier_edge_share"], B["barrier_edge_share"]))
    row(f"barrier length inside those villages followed by a grid boundary ({W['barrier_inside_km']:.1f} km)",
        pctf(W["barrier_followed_share"]), pctf(B["barrier_followed_share"], nd=4),
        ratio(W["barrier_followed_share"], B["barrier_followed_share"]))

    out = []
    out.append(f"| measure | wangge partition (`--threads 2`) | baseline k-means + Voronoi (`--procs {procs}`) "
               f"| ratio wangge ÷ baseline |")
    out.append("|---|---|---|---|")
    out.extend(rows)
    out.append("")
    out.append("¹ wangge: the whole `wangge partition --threads 2` process (read the store, partition, code every "
               "grid, write grids and codes to the store); baseline: the partition work inside the process "
               "(households to villages, k-means, Voronoi, clip), without reading the shapefiles or writing the GeoPackage.  ")
    out.append("² wall clock of the whole process by `/usr/bin/time -v` (baseline: Python start-up, reading, "
               "partition, writing).  ")
    out.append("Households per grid are recounted from the household points for both (point in polygon); "
               "w is a grid's households, T the middle of its village's band (urban 300-500 → 400, "
               "rural 100-300 → 200).")
    out.append("")
    out.append("Machine and versions:")
    out.append("")
    out.append("```")
    out.append(machine)
    out.append("```")

    def listing(name, items):
        if items:
            out.append(f"- {name}: {', '.join(str(i) for i in items)}")

    notes = []
    for label, M in (("wangge", W), ("baseline", B)):
        sub = []
        if M["multipart_villages"]:
            sub.append(f"  - multipart grids in villages: {', '.join(M['multipart_villages'])}")
        if M["cover_not_exact"]:
            sub.append("  - cover not exact: " + ", ".join(
                f"{r['village']} (gap {r['gap']:.1e}, spill {r['spill']:.1e}, overlap {r['overlap']:.1e})"
                for r in M["cover_not_exact"][:20]))
        if M["k_differs"]:
            sub.append("  - grid count ≠ policy k: " + ", ".join(
                f"{r['village']} ({r['grids']} vs {r['policy_k']}, W={r['households']:.0f})" for r in M["k_differs"][:30]))
        if M["out_of_band"]:
            sub.append(f"  - {len(M['out_of_band'])}{'+' if len(M['out_of_band']) >= 100 else ''} grids out of band"
                       + (": " + ", ".join(f"{r['grid']} ({r['households']:.0f})" for r in M["out_of_band"][:30])
                          if len(M["out_of_band"]) <= 30 else ""))
        if sub:
            notes.append(f"- {label}:")
            notes.extend(sub)
    if notes:
        out.append("")
        out.append("Details:")
        out.append("")
        out.extend(notes)
    print("\n".join(out))


if __name__ == "__main__":
    main()

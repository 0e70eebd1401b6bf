#!/usr/bin/python3
"""Quality metrics of any grid layer against the villages, households and barriers.

    metrics.py GRIDS.gpkg VILLAGES HOUSEHOLDS BARRIERS [--json OUT] [--label NAME]

The grid layer needs a village code per grid: the field `village` if present, else the
first 12 characters of `code`. Nothing else of the grid layer is trusted: households are
recounted by point-in-polygon (household point -> its village -> the grid of that village
holding it, strictly inside first, then on a border).

Figures (size policy as `wangge partition`: urban 300-500, rural 100-300, target the
middle of the band):
  grids, households per grid, share of grids inside their village's band;
  deviation (w-T)/T: median, p5, p95, worst below and above; per village max-min spread;
  compactness Polsby-Popper 4*pi*A/P^2 in a local metric frame at each grid: median, p10;
  contiguity: grids with more than one polygon part;
  exact cover per village: |area(union of grids) - area(village)| / area(village),
    gap area(village - union), spill area(union - village), and overlap between grids of
    the same village (sum of pairwise intersection areas), each relative to village area;
  barriers, in villages a barrier line crosses: share of interior grid boundary length
    within 1e-7 degrees of a barrier, and share of the barrier length inside the village
    within 1e-7 degrees of an interior grid boundary.
"""
import argparse
import collections
import json
import math
import os
import sys
import time

import numpy as np
from shapely import affinity, ops
from shapely.geometry import MultiLineString, LineString

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

TOL = 1e-7          # degrees: "on a barrier" / "on the village border"
REL_EPS = 1e-9      # relative area below which cover errors count as rounding


def pct(a, q):
    return float(np.percentile(a, q)) if len(a) else float("nan")


def to_metric(g, lat0):
    fx, fy = common.metric_factors(lat0)
    return affinity.scale(g, xfact=fx, yfact=fy, origin=(0, 0))


def polsby_popper(g):
    m = to_metric(g, g.centroid.y)
    p = m.length
    return 4 * math.pi * m.area / (p * p) if p > 0 else 0.0


def lines_of(g):
    if g.is_empty:
        return []
    if isinstance(g, LineString):
        return [g]
    if hasattr(g, "geoms"):
        out = []
        for p in g.geoms:
            out.extend(lines_of(p))
        return out
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("grids")
    ap.add_argument("villages")
    ap.add_argument("households")
    ap.add_argument("barriers")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--label", default=None)
    ap.add_argument("--urban-min", type=int, default=300)
    ap.add_argument("--urban-max", type=int, default=500)
    ap.add_argument("--rural-min", type=int, default=100)
    ap.add_argument("--rural-max", type=int, default=300)
    args = ap.parse_args()
    t0 = time.perf_counter()
    policy = common.Policy(args.urban_min, args.urban_max, args.rural_min, args.rural_max)

    villages = common.read_villages(args.villages)
    vidx = {v["code"]: i for i, v in enumerate(villages)}
    xs, ys, ws, _ = common.read_households(args.households)
    barriers = ops.unary_union(common.read_lines(args.barriers))
    raw = common.read_polygons(args.grids, ["code", "village"] if _has_field(args.grids, "village") else ["code"])
    grids = []
    for attrs, g in raw:
        code = str(attrs["code"])
        vcode = str(attrs.get("village") or code[:12])
        grids.append({"code": code, "village": vcode, "geom": g})
    by_village = collections.defaultdict(list)
    orphan_grids = 0
    for gi, g in enumerate(grids):
        if g["village"] in vidx:
            by_village[vidx[g["village"]]].append(gi)
        else:
            orphan_grids += 1

    # households: to villages, then to the grids of their village
    owner = common.assign_points([v["geom"] for v in villages], xs, ys)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(villages) + 1))
    gw = np.zeros(len(grids))
    unplaced_hh = 0.0
    unplaced_villages = []
    for vi in range(len(villages)):
        idx = order[bounds[vi]:bounds[vi + 1]]
        gl = by_village.get(vi, [])
        if not len(idx):
            continue
        a = common.assign_points([grids[g]["geom"] for g in gl], xs, ys, idx)[idx]
        placed = a >= 0
        np.add.at(gw, np.array(gl, dtype=np.int64)[a[placed]] if placed.any() else np.array([], dtype=np.int64),
                  ws[idx][placed])
        miss = float(ws[idx][~placed].sum())
        if miss > 0:
            unplaced_hh += miss
            unplaced_villages.append(villages[vi]["code"])

    # size figures
    dev, inband, spread = [], [], []
    no_band_possible = 0
    for vi, gl in by_village.items():
        v = villages[vi]
        lo, hi = policy.band(v["urban"])
        T = policy.target(v["urban"])
        d = [(gw[g] - T) / T for g in gl]
        dev.extend(d)
        inband.extend(lo <= gw[g] <= hi for g in gl)
        if len(gl) > 1:
            spread.append(max(d) - min(d))
        W = sum(gw[g] for g in gl)
        if W < lo:
            no_band_possible += len(gl)
    dev = np.array(dev)
    out_of_band, k_differs = [], []
    for vi, gl in by_village.items():
        v = villages[vi]
        lo, hi = policy.band(v["urban"])
        W = sum(gw[g] for g in gl)
        k = policy.k(W, v["urban"])
        if k != len(gl):
            k_differs.append({"village": v["code"], "households": W, "grids": len(gl), "policy_k": k})
        for g in gl:
            if not lo <= gw[g] <= hi:
                out_of_band.append({"grid": grids[g]["code"], "households": float(gw[g]), "band": [lo, hi],
                                    "village_households": W, "village_grids": len(gl), "policy_k": k})
    out_of_band.sort(key=lambda r: r["grid"])
    k_differs.sort(key=lambda r: r["village"])

    # shape
    pp = np.array([polsby_popper(g["geom"]) for g in grids])
    multipart = [g for g in grids if len(common.polygons_of(g["geom"])) > 1]
    holes = sum(1 for g in grids for p in common.polygons_of(g["geom"]) if len(p.interiors))
    invalid = [g["code"] for g in grids if not g["geom"].is_valid]

    # cover and barriers, village by village
    cover_err, gap, spill, overlap = [], [], [], []
    bad_cover = []
    vill_area_tot = overlap_tot = gap_tot = spill_tot = 0.0
    on_len = int_len = bar_len = bar_followed = 0.0
    crossed = 0
    missing_villages = []
    bbounds = barriers.bounds if not barriers.is_empty else None
    for vi, v in enumerate(villages):
        V = v["geom"]
        A = V.area
        gl = by_village.get(vi, [])
        if not gl:
            missing_villages.append(v["code"])
            continue
        geoms = [grids[g]["geom"] for g in gl]
        U = ops.unary_union(geoms)
        s = sum(g.area for g in geoms)
        ov = max(0.0, s - U.area)
        if ov / A > REL_EPS:  # locate it: pairwise
            ov = 0.0
            for i in range(len(geoms)):
                for j in range(i + 1, len(geoms)):
                    if geoms[i].envelope.intersects(geoms[j].envelope):
                        ov += geoms[i].intersection(geoms[j]).area
        ga = V.difference(U).area
        sp = U.difference(V).area
        ce = abs(U.area - A) / A
        cover_err.append(ce)
        gap.append(ga / A)
        spill.append(sp / A)
        overlap.append(ov / A)
        vill_area_tot += A
        overlap_tot += ov
        gap_tot += ga
        spill_tot += sp
        if max(ce, ga / A, sp / A, ov / A) > REL_EPS:
            bad_cover.append({"village": v["code"], "cover": ce, "gap": ga / A, "spill": sp / A, "overlap": ov / A})

        # barriers crossing the village
        if bbounds is None:
            continue
        minx, miny, maxx, maxy = V.bounds
        if bbounds[0] > maxx or bbounds[2] < minx or bbounds[1] > maxy or bbounds[3] < miny:
            continue
        if not V.intersects(barriers):
            continue
        border = V.boundary.buffer(TOL)
        inside = barriers.intersection(V).difference(border)
        lat0 = V.centroid.y
        bl = to_metric(inside, lat0).length if not inside.is_empty else 0.0
        if bl < 1.0:  # less than a metre inside: not crossed
            continue
        crossed += 1
        edges = ops.unary_union([g.boundary for g in geoms]).difference(border)
        il = to_metric(edges, lat0).length if not edges.is_empty else 0.0
        near = barriers.intersection(V.buffer(TOL)).buffer(TOL)
        ol = to_metric(edges.intersection(near), lat0).length if il > 0 else 0.0
        fl = to_metric(inside.intersection(edges.buffer(TOL)), lat0).length if il > 0 else 0.0
        int_len += il
        on_len += ol
        bar_len += bl
        bar_followed += fl

    cover_err = np.array(cover_err)
    res = {
        "label": args.label or os.path.basename(args.grids),
        "grids": len(grids),
        "villages": len(villages),
        "villages_without_grids": len(missing_villages),
        "grids_of_unknown_village": orphan_grids,
        "households": float(ws.sum()),
        "households_unplaced": unplaced_hh,
        "villages_with_unplaced_households": unplaced_villages[:50],
        "empty_grids": int((gw == 0).sum()),
        "hh_per_grid_mean": float(gw.mean()) if len(gw) else float("nan"),
        "in_band_share": float(np.mean(inband)) if inband else float("nan"),
        "grids_in_villages_below_band": no_band_possible,
        "below_band": sum(1 for r in out_of_band if r["households"] < r["band"][0]),
        "above_band": sum(1 for r in out_of_band if r["households"] > r["band"][1]),
        "out_of_band": out_of_band[:100],
        "villages_k_differs": len(k_differs),
        "k_differs": k_differs[:100],
        "dev_median": float(np.median(dev)),
        "dev_p5": pct(dev, 5),
        "dev_p95": pct(dev, 95),
        "dev_min": float(dev.min()),
        "dev_max": float(dev.max()),
        "dev_abs_median": float(np.median(np.abs(dev))),
        "spread_median": float(np.median(spread)) if spread else float("nan"),
        "spread_p95": pct(spread, 95),
        "spread_max": float(max(spread)) if spread else float("nan"),
        "pp_median": float(np.median(pp)),
        "pp_p10": pct(pp, 10),
        "multipart_grids": len(multipart),
        "multipart_villages": sorted({g["village"] for g in multipart}),
        "multipart_codes": sorted(g["code"] for g in multipart)[:100],
        "grids_with_holes": holes,
        "invalid_grids": invalid[:100],
        "invalid_count": len(invalid),
        "cover_err_max": float(cover_err.max()) if len(cover_err) else float("nan"),
        "gap_max": float(max(gap)) if gap else float("nan"),
        "spill_max": float(max(spill)) if spill else float("nan"),
        "overlap_max": float(max(overlap)) if overlap else float("nan"),
        "gap_total": gap_tot / vill_area_tot if vill_area_tot else float("nan"),
        "spill_total": spill_tot / vill_area_tot if vill_area_tot else float("nan"),
        "overlap_total": overlap_tot / vill_area_tot if vill_area_tot else float("nan"),
        "villages_cover_not_exact": len(bad_cover),
        "cover_not_exact": sorted(bad_cover, key=lambda r: -max(r["cover"], r["gap"], r["spill"], r["overlap"]))[:50],
        "barrier_villages": crossed,
        "barrier_edge_share": on_len / int_len if int_len else float("nan"),
        "barrier_followed_share": bar_followed / bar_len if bar_len else float("nan"),
        "interior_edge_km": int_len / 1000,
        "barrier_inside_km": bar_len / 1000,
        "seconds": time.perf_counter() - t0,
    }
    summary = (f"{res['label']}: {res['grids']} grids, {res['in_band_share']:.1%} in band, "
               f"dev median {res['dev_median']:+.1%} p5 {res['dev_p5']:+.1%} p95 {res['dev_p95']:+.1%} "
               f"worst {res['dev_min']:+.1%}/{res['dev_max']:+.1%}; PP median {res['pp_median']:.3f} "
               f"p10 {res['pp_p10']:.3f}; multipart {res['multipart_grids']}; cover worst {res['cover_err_max']:.2e} "
               f"overlap total {res['overlap_total']:.2e}; barriers {res['barrier_villages']} villages, "
               f"{res['barrier_edge_share']:.1%} of edges on barriers, {res['barrier_followed_share']:.1%} of barrier "
               f"length followed; {res['seconds']:.1f} s")
    print(summary)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1, ensure_ascii=False)


def _has_field(path, name):
    from osgeo import ogr
    ds = ogr.Open(path)
    defn = ds.GetLayer(0).GetLayerDefn()
    return defn.GetFieldIndex(name) >= 0


if __name__ == "__main__":
    main()

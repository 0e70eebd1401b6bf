#!/usr/bin/python3
"""Baseline partitioner for the partition benchmark: per village, weighted k-means on the
household points, then the Voronoi cells of the centroids clipped to the village.

    baseline_kmeans.py VILLAGES HOUSEHOLDS OUT.gpkg [--procs N] [--timing-json FILE]

Same size policy as `wangge partition` (defaults 300-500 urban, 100-300 rural; k per
village = round(W/target) clamped to [ceil(W/max), floor(W/min)] when non-empty, >= 1).
Households go to villages by point-in-polygon. k-means: Lloyd with weighted k-means++
seeding from a fixed seed (the village code), in a local metric frame (longitude scaled
by cos(latitude)); the Voronoi diagram is built in that frame too and mapped back
(an affine map keeps cell edges straight and shared edges identical), then each cell is
clipped to the village polygon in its original coordinates.

Output: a GeoPackage layer `grids` (MultiPolygon, EPSG:4490) with fields
code (village code + 3-digit index), village, households (weight of the cluster).
Prints the partition wall-clock time (point assignment + k-means + Voronoi + clip,
excluding file reading and writing) and the total.
"""
import argparse
import json
import math
import multiprocessing as mp
import sys
import time

t_start = time.perf_counter()

import numpy as np  # noqa: E402
from osgeo import ogr, osr  # noqa: E402
from shapely import affinity, ops, wkb  # noqa: E402
from shapely.geometry import MultiPoint, MultiPolygon, Point  # noqa: E402

sys.path.insert(0, __import__("os").path.dirname(__file__))
import common  # noqa: E402

# Filled before the pool forks, read by the workers.
G = {}


def kmeans_weighted(pts, w, k, seed, max_iter=300):
    """Weighted Lloyd's k-means with weighted k-means++ seeding. pts (n,2), w (n,)."""
    rng = np.random.default_rng(seed)
    n = len(pts)
    wsum = w.sum()
    p = w / wsum if wsum > 0 else np.full(n, 1.0 / n)
    centres = [pts[rng.choice(n, p=p)]]
    d2 = ((pts - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        score = w * d2
        tot = score.sum()
        if tot <= 0:
            break
        c = pts[rng.choice(n, p=score / tot)]
        centres.append(c)
        d2 = np.minimum(d2, ((pts - c) ** 2).sum(1))
    c = np.array(centres)
    assign = None
    for _ in range(max_iter):
        dist = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(2)
        a = dist.argmin(1)
        if assign is not None and np.array_equal(a, assign):
            break
        assign = a
        for j in range(len(c)):
            m = a == j
            wj = w[m].sum()
            if wj > 0:
                c[j] = (pts[m] * w[m, None]).sum(0) / wj
            else:  # empty: move it to the point worst served
                far = (w * dist[np.arange(n), a]).argmax()
                c[j] = pts[far]
    dist = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(2)
    a = dist.argmin(1)
    return c, a


def partition_village(i):
    """-> [(code, village, households, wkb)] for village i."""
    v = G["villages"][i]
    poly = v["geom"]
    code = v["code"]
    idx = G["members"][i]
    xs, ys, ws = G["xs"][idx], G["ys"][idx], G["ws"][idx]
    wsum = float(ws.sum())
    k = G["policy"].k(wsum, v["urban"])
    # distinct locations bound k (a Voronoi diagram needs distinct sites)
    if len(idx):
        k = min(k, len(np.unique(np.stack([xs, ys], 1), axis=0)))
    if k <= 1 or len(idx) == 0:
        return [(code + "001", code, int(round(wsum)), wkb.dumps(MultiPolygon(common.polygons_of(poly))))]

    lat0 = poly.centroid.y
    fx, _ = common.metric_factors(lat0)
    sx = fx / common.METRES_PER_DEGREE  # = cos(lat0): scale x so the frame is isotropic
    pts = np.stack([xs * sx, ys], 1)
    seed = int(code) % (2 ** 32)
    c, a = kmeans_weighted(pts, ws, k, seed)
    weights = np.bincount(a, weights=ws, minlength=len(c))

    minx, miny, maxx, maxy = poly.bounds
    pad = max(maxx - minx, maxy - miny) + 1e-3
    env = MultiPoint([(minx * sx - pad, miny - pad), (maxx * sx + pad, maxy + pad)]).envelope
    sites = MultiPoint([tuple(p) for p in c])
    cells = list(ops.voronoi_diagram(sites, envelope=env).geoms)
    out = []
    n = 0
    for j, p in enumerate(c):
        site = Point(p)
        cell = next((cl for cl in cells if cl.intersects(site)), None)
        if cell is None:
            continue
        cell_deg = affinity.scale(cell, xfact=1.0 / sx, yfact=1.0, origin=(0, 0))
        parts = common.polygons_of(cell_deg.intersection(poly))
        if not parts:
            continue
        n += 1
        out.append((f"{code}{n:03d}", code, int(round(weights[j])), wkb.dumps(MultiPolygon(parts))))
    return out


def write_gpkg(path, rows):
    drv = ogr.GetDriverByName("GPKG")
    import os
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4490)
    lyr = ds.CreateLayer("grids", srs, ogr.wkbMultiPolygon)
    lyr.CreateField(ogr.FieldDefn("code", ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn("village", ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn("households", ogr.OFTInteger64))
    ds.StartTransaction()
    defn = lyr.GetLayerDefn()
    for code, village, hh, g in rows:
        f = ogr.Feature(defn)
        f.SetField("code", code)
        f.SetField("village", village)
        f.SetField("households", hh)
        f.SetGeometry(ogr.CreateGeometryFromWkb(g))
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("villages")
    ap.add_argument("households")
    ap.add_argument("out")
    ap.add_argument("--procs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--urban-min", type=int, default=300)
    ap.add_argument("--urban-max", type=int, default=500)
    ap.add_argument("--rural-min", type=int, default=100)
    ap.add_argument("--rural-max", type=int, default=300)
    ap.add_argument("--timing-json", help="write the timings here")
    args = ap.parse_args()

    villages = common.read_villages(args.villages)
    xs, ys, ws, _ = common.read_households(args.households)
    t_loaded = time.perf_counter()

    # ---- partition work starts: households to villages, then per village
    owner = common.assign_points([v["geom"] for v in villages], xs, ys)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(villages) + 1))
    G.update(villages=villages, xs=xs, ys=ys, ws=ws,
             members=[order[bounds[i]:bounds[i + 1]] for i in range(len(villages))],
             policy=common.Policy(args.urban_min, args.urban_max, args.rural_min, args.rural_max))
    if args.procs > 1:
        with mp.get_context("fork").Pool(args.procs) as pool:
            parts = pool.map(partition_village, range(len(villages)), chunksize=16)
    else:
        parts = [partition_village(i) for i in range(len(villages))]
    rows = [r for p in parts for r in p]
    t_part = time.perf_counter()
    # ---- partition work ends

    write_gpkg(args.out, rows)
    t_end = time.perf_counter()
    timing = {
        "load_s": t_loaded - t_start,
        "partition_s": t_part - t_loaded,
        "write_s": t_end - t_part,
        "total_s": t_end - t_start,
        "villages": len(villages),
        "grids": len(rows),
        "procs": args.procs,
        "households_unplaced": int((owner < 0).sum()),
    }
    print(f"baseline: {len(villages)} villages into {len(rows)} grids; partition {timing['partition_s']:.2f} s "
          f"({args.procs} process{'es' if args.procs > 1 else ''}), total {timing['total_s']:.2f} s "
          f"(load {timing['load_s']:.2f} s, write {timing['write_s']:.2f} s)")
    if args.timing_json:
        with open(args.timing_json, "w") as fh:
            json.dump(timing, fh, indent=1)


if __name__ == "__main__":
    main()

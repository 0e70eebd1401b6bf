#!/usr/bin/env python3
"""Probe points for the nearest-grid benchmark: points in no grid, near and far.

near: uniform in the grids' bounding box grown by 0.05 degree (about 5 km), kept when
      no grid holds them (outside the outline, in gaps);
far:  around London, Sydney, New York and either side of the antimeridian, each
      jittered uniformly by up to 0.5 degree.
Writes near.csv and far.csv (id,lon,lat) in OUT; the same seed gives the same files.
"""
import argparse
import csv
import os

import numpy as np
from osgeo import ogr
from shapely import vectorized, wkb
from shapely.ops import unary_union

FAR = [("london", -0.1278, 51.5074), ("sydney", 151.2093, -33.8688),
       ("new_york", -74.0060, 40.7128), ("antimeridian_e", 179.6, 30.5),
       ("antimeridian_w", -179.6, 30.5)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("grids")
    ap.add_argument("out")
    ap.add_argument("--near", type=int, default=100000)
    ap.add_argument("--far", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20240613)
    a = ap.parse_args()
    ds = ogr.Open(a.grids)
    layer = ds.GetLayer(0)
    geoms = [wkb.loads(bytes(f.GetGeometryRef().ExportToWkb())) for f in layer]
    cover = unary_union(geoms)
    x0, y0, x1, y1 = cover.bounds
    rng = np.random.default_rng(a.seed)
    near = []
    while len(near) < a.near:
        xs = rng.uniform(x0 - 0.05, x1 + 0.05, 200000)
        ys = rng.uniform(y0 - 0.05, y1 + 0.05, 200000)
        inside = vectorized.contains(cover, xs, ys)
        near.extend(zip(xs[~inside], ys[~inside]))
    near = near[:a.near]
    far = []
    for i in range(a.far):
        _, lon, lat = FAR[i % len(FAR)]
        lon = lon + rng.uniform(-0.5, 0.5)
        lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
        far.append((lon, lat + rng.uniform(-0.5, 0.5)))
    os.makedirs(a.out, exist_ok=True)
    for name, pts in (("near", near), ("far", far)):
        with open(os.path.join(a.out, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "lon", "lat"])
            for i, (x, y) in enumerate(pts):
                w.writerow([f"{name}{i}", f"{x:.7f}", f"{y:.7f}"])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Build the synthetic sample event file shapefiles/huzhou_events_gcj02.csv.

Events as a field app on AMap/WeChat maps would send them: coordinates in GCJ-02
(the public WGS84 -> GCJ-02 formula is applied to the true positions), times in ISO
8601 with +08:00, type codes from wangge's default event classification
(engine/data/event_types_default.csv). 85% of the events lie near buildings of the
sample (shapefiles/huzhou_households.shp, weighted by households), 12% anywhere in
the bounding box of 湖州市 (some of them in no grid: 太湖, neighbouring counties),
and 3% are bad rows of every kind wangge must reject (no id, no coordinates,
non-numeric or out-of-range coordinates, bad or zone-less time, unknown type).
Everything here is synthetic. Deterministic: a fixed seed; same inputs, same file.

    /usr/bin/python3 tools/sample/make_events.py [--n 6000] [--out shapefiles/huzhou_events_gcj02.csv]
"""
import argparse
import csv
import math
import os

import numpy as np
from osgeo import ogr

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# Krasovsky 1940 ellipsoid, as the public GCJ-02 formula uses.
A = 6378245.0
EE = 0.00669342162296594323


def _dlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _dlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (A / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--out", default=os.path.join(ROOT, "shapefiles", "huzhou_events_gcj02.csv"))
    args = ap.parse_args()
    rng = np.random.default_rng(20240601)
    with open(os.path.join(ROOT, "engine", "data", "event_types_default.csv"), encoding="utf-8") as f:
        types = [r["code"] for r in csv.DictReader(f)]
    ds = ogr.Open(os.path.join(ROOT, "shapefiles", "huzhou_households.shp"))
    lyr = ds.GetLayer(0)
    pts, w = [], []
    for feat in lyr:
        g = feat.GetGeometryRef()
        pts.append((g.GetX(), g.GetY()))
        w.append(feat.GetField("households"))
    pts = np.array(pts)
    w = np.array(w, dtype=float)
    w /= w.sum()
    x0, x1, y0, y1 = 119.14, 120.60, 30.30, 31.25  # around 湖州市, with 太湖 and neighbours
    sources = ["网格员上报", "群众随手拍", "12345热线", "视频巡查"]
    statuses = ["待受理", "处置中", "已办结"]
    rows = []
    n_bad = int(args.n * 0.03)
    n_uniform = int(args.n * 0.12)
    n_near = args.n - n_bad - n_uniform
    for i in range(n_near + n_uniform):
        if i < n_near:
            lon, lat = pts[rng.choice(len(pts), p=w)]
            lon += rng.normal(0, 0.0008)
            lat += rng.normal(0, 0.0006)
        else:
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        glon, glat = wgs84_to_gcj02(lon, lat)
        sec = int(rng.integers(0, 366 * 86400))
        day, rem = divmod(sec, 86400)
        t = np.datetime64("2024-01-01") + np.timedelta64(day, "D")
        ts = "%sT%02d:%02d:%02d+08:00" % (t, rem // 3600, (rem // 60) % 60, rem % 60)
        rows.append(["HZ2024%06d" % (i + 1), types[int(rng.integers(0, len(types)))], ts,
                     statuses[int(rng.integers(0, 3))], sources[int(rng.integers(0, 4))],
                     "%.7f" % glon, "%.7f" % glat])
    bad_kinds = [
        lambda r: r.__setitem__(0, ""),                      # no id
        lambda r: (r.__setitem__(5, ""), r.__setitem__(6, "")),  # no coordinates
        lambda r: r.__setitem__(5, "120.1x"),                # not a number
        lambda r: r.__setitem__(6, "95.5"),                  # out of range
        lambda r: r.__setitem__(2, "2024-02-30T10:00:00+08:00"),  # not a real date
        lambda r: r.__setitem__(2, "2024-05-01 09:30:00"),   # no zone
        lambda r: r.__setitem__(1, "999999"),                # unknown type
    ]
    for j in range(n_bad):
        r = list(rows[j * 7 % len(rows)])
        r[0] = "HZBAD%04d" % (j + 1)
        bad_kinds[j % len(bad_kinds)](r)
        rows.insert(int(rng.integers(0, len(rows))), r)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["id", "type", "time", "status", "source", "lon", "lat"])
        wr.writerows(rows)
    print("wrote %d rows (%d bad) to %s" % (len(rows), n_bad, args.out))


if __name__ == "__main__":
    main()

"""Shared by baseline_kmeans.py and metrics.py: reading the sample, the size policy,
point-in-polygon assignment and the local metric frame.

Only Debian 12 packages: python3-numpy, python3-shapely (1.8), python3-gdal.
"""
import math
import sys

import numpy as np
from osgeo import ogr
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon, GeometryCollection
import shapely.vectorized

ogr.UseExceptions()

# Metres per degree of latitude on a sphere of the authalic radius (as the engine).
METRES_PER_DEGREE = 6371007.2 * math.pi / 180.0


# ------------------------------------------------------------------ policy

class Policy:
    def __init__(self, urban_min=300, urban_max=500, rural_min=100, rural_max=300):
        self.urban = (urban_min, urban_max)
        self.rural = (rural_min, rural_max)

    def band(self, urban):
        return self.urban if urban else self.rural

    def target(self, urban):
        lo, hi = self.band(urban)
        return (lo + hi) / 2.0

    def k(self, w, urban):
        """round(W/target) clamped to [ceil(W/max), floor(W/min)] when non-empty, >= 1."""
        lo_b, hi_b = self.band(urban)
        if w <= 0:
            return 1
        k = int(math.floor(w / self.target(urban) + 0.5))
        lo, hi = math.ceil(w / hi_b), math.floor(w / lo_b)
        if lo <= hi:
            k = min(max(k, lo), hi)
        return max(1, k)


def is_urban(code, name):
    """居委会/社区 urban, 村委会/村 rural; otherwise by the code's serial (001-199 urban),
    as the national code scheme numbers 居委会 before 村委会."""
    name = name or ""
    if name.endswith("居委会") or name.endswith("社区"):
        return True
    if name.endswith("村委会") or name.endswith("村"):
        return False
    if len(code) == 12 and code[9:].isdigit():
        return 1 <= int(code[9:]) <= 199
    return False


# ------------------------------------------------------------------ reading

def _geom(f):
    g = f.GetGeometryRef()
    if g is None:
        return None
    return wkb.loads(bytes(g.ExportToWkb()))


def read_polygons(path, fields):
    """[(dict of fields, shapely geometry)] of every feature of the first layer."""
    ds = ogr.Open(path)
    if ds is None:
        sys.exit(f"cannot open {path}")
    lyr = ds.GetLayer(0)
    out = []
    for f in lyr:
        out.append(({k: f.GetField(k) for k in fields}, _geom(f)))
    return out


def read_villages(path):
    vs = []
    for attrs, g in read_polygons(path, ["code", "name"]):
        code = str(attrs["code"])
        vs.append({"code": code, "name": attrs["name"] or "", "geom": g,
                   "urban": is_urban(code, attrs["name"])})
    return vs


def read_households(path):
    """x, y (degrees), weight (the households field), village field."""
    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    n = lyr.GetFeatureCount()
    xs = np.empty(n)
    ys = np.empty(n)
    ws = np.empty(n)
    vf = []
    i = 0
    for f in lyr:
        g = f.GetGeometryRef()
        xs[i] = g.GetX()
        ys[i] = g.GetY()
        ws[i] = f.GetField("households") or 0
        vf.append(f.GetField("village"))
        i += 1
    return xs[:i], ys[:i], ws[:i], vf


def read_lines(path):
    return [g for _, g in read_polygons(path, [])]


# ------------------------------------------------------------------ geometry

def polygons_of(g):
    """The polygons of any geometry (drops points and lines a clip may leave)."""
    if g is None or g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    if isinstance(g, GeometryCollection):
        out = []
        for p in g.geoms:
            out.extend(polygons_of(p))
        return out
    return []


def assign_points(polys, xs, ys, idx=None):
    """Index into polys of the polygon holding each point (first wins), -1 if none.
    Points strictly inside first; points left over (on a border) go to the first
    polygon that covers them. idx restricts the points looked at (others stay -1)."""
    out = np.full(len(xs), -1, dtype=np.int64)
    if idx is None:
        idx = np.arange(len(xs))
    if len(idx) == 0:
        return out
    px, py = xs[idx], ys[idx]
    for j, p in enumerate(polys):
        if p is None or p.is_empty:
            continue
        minx, miny, maxx, maxy = p.bounds
        m = (px >= minx) & (px <= maxx) & (py >= miny) & (py <= maxy)
        m &= out[idx] < 0
        if not m.any():
            continue
        sel = np.nonzero(m)[0]
        inside = shapely.vectorized.contains(p, px[sel], py[sel])
        out[idx[sel[inside]]] = j
    # borders: covers = contains or touches
    left = idx[out[idx] < 0]
    if len(left):
        for j, p in enumerate(polys):
            if p is None or p.is_empty:
                continue
            minx, miny, maxx, maxy = p.bounds
            lx, ly = xs[left], ys[left]
            m = (lx >= minx) & (lx <= maxx) & (ly >= miny) & (ly <= maxy) & (out[left] < 0)
            if not m.any():
                continue
            sel = np.nonzero(m)[0]
            on = shapely.vectorized.touches(p, lx[sel], ly[sel])
            out[left[sel[on]]] = j
    return out


def metric_factors(lat0):
    """(x, y) metres per degree in a local equirectangular frame at latitude lat0."""
    return METRES_PER_DEGREE * math.cos(math.radians(lat0)), METRES_PER_DEGREE

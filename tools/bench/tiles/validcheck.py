#!/usr/bin/python3
"""Validity of every polygon in an MBTiles archive of vector tiles.

Usage: validcheck.py ARCHIVE.mbtiles [LAYER ...]   (default: every layer)

Decodes every tile of the archive with its own small MVT decoder (no clipping, no
repair: the geometry as encoded, in tile units), groups the rings of each polygon
feature as MVT 2.1 says (a ring of positive area by the spec's surveyor's formula
starts a polygon, the rings of negative area after it are its holes) and checks the
MultiPolygon with GEOS IsValid (shapely 1.8, python3-shapely of Debian 12). Prints
one JSON line per zoom and a total:
  {"zoom": 14, "features": 34266, "invalid": 0, "reasons": {...}, "examples": [...]}
`reasons` counts GEOS's reason for each invalid feature (the part before '['),
`examples` lists up to 5 "z/x/y layer id: reason". Exit status 1 when any polygon
is invalid.
"""
import gzip, json, sqlite3, sys
from collections import Counter, defaultdict

from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity


def varint(buf, pos):
    """(value, position after it) of the varint at pos."""
    v = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, pos


def varints(buf, pos, end):
    while pos < end:
        v, pos = varint(buf, pos)
        yield v


def fields(buf, pos=0, end=None):
    """(field number, wire type, value or (start, end)) of one protobuf message."""
    end = len(buf) if end is None else end
    while pos < end:
        key, pos = varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = varint(buf, pos)
            yield num, wt, v
        elif wt == 2:
            n, pos = varint(buf, pos)
            yield num, wt, (pos, pos + n)
            pos += n
        elif wt in (1, 5):
            yield num, wt, None
            pos += 8 if wt == 1 else 4
        else:
            raise ValueError(f"wire type {wt}")


def zz(v):
    return (v >> 1) ^ -(v & 1)


def rings_of(cmds):
    rings, ring, x, y, i = [], [], 0, 0, 0
    while i < len(cmds):
        cid, count = cmds[i] & 7, cmds[i] >> 3
        i += 1
        if cid == 7:  # ClosePath
            rings.append(ring)
            ring = []
            continue
        for _ in range(count):
            x += zz(cmds[i])
            y += zz(cmds[i + 1])
            i += 2
            if cid == 1:
                ring = [(x, y)]
            else:
                ring.append((x, y))
    return rings


def area2(ring):
    s = 0
    n = len(ring)
    for k in range(n):
        x0, y0 = ring[k]
        x1, y1 = ring[(k + 1) % n]
        s += x0 * y1 - x1 * y0
    return s


def multipolygon(rings):
    polys = []
    for r in rings:
        a = area2(r)
        if a > 0 or not polys:
            polys.append([r])
        else:
            polys[-1].append(r)
    return MultiPolygon([Polygon(p[0], p[1:]) for p in polys])


def main():
    path = sys.argv[1]
    only = set(sys.argv[2:])
    db = sqlite3.connect(path)
    per_zoom = defaultdict(lambda: {"features": 0, "invalid": 0, "reasons": Counter(), "examples": []})
    for z, col, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
        data = bytes(data)
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        y = (1 << z) - 1 - row
        for num, _, span in fields(data):
            if num != 3:
                continue
            name, feats = None, []
            for lnum, _, lval in fields(data, *span):
                if lnum == 1:
                    name = data[lval[0]:lval[1]].decode()
                elif lnum == 2:
                    feats.append(lval)
            if only and name not in only:
                continue
            for fs, fe in feats:
                fid, ftype, geom = None, None, None
                for fnum, _, fval in fields(data, fs, fe):
                    if fnum == 1:
                        fid = fval
                    elif fnum == 3:
                        ftype = fval
                    elif fnum == 4:
                        geom = list(varints(data, *fval))
                if ftype != 3:
                    continue
                st = per_zoom[z]
                st["features"] += 1
                g = multipolygon(rings_of(geom))
                if not g.is_valid:
                    why = explain_validity(g)
                    st["invalid"] += 1
                    st["reasons"][why.split("[")[0]] += 1
                    if len(st["examples"]) < 5:
                        st["examples"].append(f"{z}/{col}/{y} {name} {fid}: {why}")
    total = {"features": 0, "invalid": 0}
    for z in sorted(per_zoom):
        st = per_zoom[z]
        total["features"] += st["features"]
        total["invalid"] += st["invalid"]
        print(json.dumps({"zoom": z, **st}, ensure_ascii=False))
    print(json.dumps({"archive": path, **total}))
    sys.exit(1 if total["invalid"] else 0)


if __name__ == "__main__":
    main()

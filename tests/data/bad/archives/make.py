#!/usr/bin/env python3
"""Writes the corrupt archives of tests/data/bad/archives.tsv (run it here to remake them).

Each is a small archive as `wangge tiles build` writes one (wangge:build and
wangge:built_at in its metadata, four tiles of zoom 10 over Huzhou) with one fault.
"""
import gzip, json, math, os, sqlite3, struct

here = os.path.dirname(os.path.abspath(__file__))
TILES = [(10, 855 + i, 418) for i in range(4)]
BUILD = {"minzoom": 10, "maxzoom": 10, "layers": ["counties"], "prefix": "", "max_tile_bytes": 512000,
         "simplify_units": 1.0, "events_point_zoom": 14}


def gz(b):
    return gzip.compress(b, mtime=0)


def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def tile(i):
    """A valid MVT: layer 'cells' (version 2), one point."""
    geom = bytes([0x09, 2 * (1 + i), 2])
    feature = b"\x18\x01\x22" + bytes([len(geom)]) + geom
    layer = b"\x0a\x05cells\x12" + bytes([len(feature)]) + feature + b"\x28\x80\x20\x78\x02"
    return b"\x1a" + bytes([len(layer)]) + layer


def tile_id(z, x, y):
    acc = ((1 << (2 * z)) - 1) // 3
    s = 1 << (z - 1) if z else 0
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        acc += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s >>= 1
    return acc


def lonlat(z, x, y):
    n = 2.0 ** z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def directory(entries):
    out = varint(len(entries))
    last = 0
    for e in entries:
        out += varint(e["id"] - last)
        last = e["id"]
    for e in entries:
        out += varint(e["run"])
    for e in entries:
        out += varint(e["len"])
    for e in entries:
        out += varint(e["off"] + 1)
    return out


def pmtiles(name, change=None, meta_change=None, raw_root=None, header_change=None):
    data = b""
    entries = []
    for i, (z, x, y) in enumerate(sorted(TILES, key=lambda c: tile_id(*c))):
        t = gz(tile(i))
        entries.append({"id": tile_id(z, x, y), "off": len(data), "len": len(t), "run": 1})
        data += t
    meta = {"name": "wangge", "format": "pbf", "wangge:built_at": "2026-01-01T00:00:00Z",
            "wangge:build": json.dumps(BUILD), "vector_layers": []}
    if change:
        change(entries)
    if meta_change:
        meta_change(meta)
    root = gz(raw_root if raw_root is not None else directory(entries))
    metadata = gz(json.dumps(meta).encode())
    w, n = lonlat(10, 855, 418)
    e, s = lonlat(10, 859, 419)
    h = {"root_off": 127, "root_len": len(root), "meta_off": 127 + len(root), "meta_len": len(metadata),
         "leaf_off": 127 + len(root) + len(metadata), "leaf_len": 0,
         "data_off": 127 + len(root) + len(metadata), "data_len": len(data),
         "addressed": 0, "entries": 0, "contents": 4}
    if header_change:
        header_change(h)
    header = b"PMTiles\x03" + struct.pack("<11Q", h["root_off"], h["root_len"], h["meta_off"], h["meta_len"],
                                          h["leaf_off"], h["leaf_len"], h["data_off"], h["data_len"],
                                          h["addressed"], h["entries"], h["contents"])
    header += bytes([1, 2, 2, 1, 10, 10])
    header += struct.pack("<4i", round(w * 1e7), round(s * 1e7), round(e * 1e7), round(n * 1e7))
    header += bytes([10]) + struct.pack("<2i", round((w + e) / 2 * 1e7), round((s + n) / 2 * 1e7))
    assert len(header) == 127
    with open(os.path.join(here, name), "wb") as f:
        f.write(header + root + metadata + data)


def mbtiles(name, rows, corrupt=False):
    path = os.path.join(here, name)
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    built = dict(BUILD, minzoom=0, maxzoom=0)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                     "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")
    db.executemany("INSERT INTO metadata VALUES (?, ?)",
                   [("name", "wangge"), ("format", "pbf"), ("wangge:built_at", "2099-01-01T00:00:00Z"),
                    ("wangge:build", json.dumps(built))])
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    if corrupt:  # every page after the file header overwritten
        b = bytearray(open(path, "rb").read())
        b[100:] = b"\xa5" * (len(b) - 100)
        open(path, "wb").write(bytes(b))


def set_run(i, v):
    return lambda es: es[i].update(run=v)


pmtiles("run_length_max.pmtiles", set_run(1, 2**32 - 1))
pmtiles("run_length_1e9.pmtiles", set_run(1, 10**9))
pmtiles("overlapping_runs.pmtiles", lambda es: es[0].update(run=es[1]["id"] - es[0]["id"] + 1))
pmtiles("tile_id_beyond_z31.pmtiles", lambda es: es[3].update(id=9223372036854775812))
pmtiles("offset_past_eof.pmtiles", header_change=lambda h: h.update(data_len=h["data_len"] + 100000))
pmtiles("huge_entry_count.pmtiles", raw_root=varint(2**40) + b"\x01" * 16)
pmtiles("build_minzoom_object.pmtiles",
        meta_change=lambda m: m.update({"wangge:build": json.dumps(dict(BUILD, minzoom={}))}))
pmtiles("build_not_json.pmtiles", meta_change=lambda m: m.update({"wangge:build": "{minzoom"}))
pmtiles("built_at_number.pmtiles", meta_change=lambda m: m.update({"wangge:built_at": 5}))
t = gzip.compress(tile(0), mtime=0)
mbtiles("zoom_beyond_31.mbtiles", [(40, 1, 1, t)])
mbtiles("duplicate_tile.mbtiles", [(0, 0, 0, t), (0, 0, 0, t)])
mbtiles("corrupt_pages.mbtiles", [(0, 0, 0, t)], corrupt=True)

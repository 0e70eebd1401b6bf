#!/usr/bin/python3
"""Gap/overlap check of the grid polygons in one vector tile of an MBTiles archive.

Usage: gapcheck.py ARCHIVE.mbtiles Z X Y [LAYER]   (X/Y in XYZ scheme, as in URLs)

Decodes the tile with GDAL's MVT driver (tile units, extent 4096, clipped to the
tile square), repairs invalid rings with buffer(0), and prints one JSON line:
  overlap   = sum of polygon areas - area of their union (area covered twice or more)
  uncovered = tile square - union (inside a tile fully covered by data: all of it is gap)
  pieces    = number of uncovered pieces larger than 0.01 unit^2
Areas are in tile units^2 (the tile is 4096 x 4096 = 16,777,216 units^2).
Uses Debian's python3-gdal and python3-shapely (1.8).
"""
import gzip, json, os, sqlite3, sys, tempfile
from osgeo import gdal, ogr
from shapely import wkb
from shapely.geometry import box
from shapely.ops import unary_union

gdal.UseExceptions()
path, z, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
layer = sys.argv[5] if len(sys.argv) > 5 else "grids"
row = (1 << z) - 1 - y  # MBTiles rows are TMS
blob = sqlite3.connect(path).execute(
    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
    (z, x, row)).fetchone()
if blob is None:
    sys.exit(f"{path}: no tile {z}/{x}/{y}")
data = bytes(blob[0])
if data[:2] == b"\x1f\x8b":
    data = gzip.decompress(data)
with tempfile.TemporaryDirectory() as d:
    pbf = os.path.join(d, "tile.pbf")
    open(pbf, "wb").write(data)
    ds = gdal.OpenEx(pbf, gdal.OF_VECTOR, open_options=["CLIP=YES"])
    lyr = ds.GetLayerByName(layer) or ds.GetLayer(0)  # GDAL names the layer after its source
    geoms, invalid = [], 0
    for f in lyr:
        g = wkb.loads(bytes(f.GetGeometryRef().ExportToWkb()))
        if not g.is_valid:
            invalid += 1
            g = g.buffer(0)
        geoms.append(g)
    ds = None
sq = box(0, 0, 4096, 4096)
geoms = [g.intersection(sq) for g in geoms]
u = unary_union(geoms)
overlap = sum(g.area for g in geoms) - u.area
rest = sq.difference(u)
parts = getattr(rest, "geoms", [rest])
pieces = sum(1 for p in parts if p.area > 0.01)
print(json.dumps({"archive": os.path.basename(path), "tile": f"{z}/{x}/{y}",
                  "features": len(geoms), "invalid": invalid,
                  "overlap": round(overlap, 2), "uncovered": round(rest.area, 2),
                  "pieces": pieces}))

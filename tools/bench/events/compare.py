#!/usr/bin/python3
"""Compare wangge's coded CSV with PostGIS's answers, row by row.

    compare.py WANGGE_CSV POSTGIS_CODES_CSV [--disagreements OUT.csv] [--json OUT.json]

WANGGE_CSV: `wangge assign` output, the input rows in input order with the grid code as
the last column (empty: in no grid). POSTGIS_CODES_CSV: `id,code` without header, sorted
by id, id = the 1-based data row of the input (code empty: ST_Contains held for no grid;
an id may repeat if ST_Contains held for several grids).

Kinds of disagreement:
  postgis_none_wangge_some  PostGIS found no grid, wangge one: expected for points
                            exactly on a grid edge (ST_Contains excludes the boundary;
                            wangge gives each boundary point to one grid, half-open rule)
  postgis_some_wangge_none  PostGIS found a grid, wangge none (should be 0)
  different                 both found a grid, not the same one (should be 0)
"""
import argparse
import json
import sys


def pg_rows(path):
    """Yield (id, set of codes) per id, from the sorted id,code file."""
    cur, codes = None, set()
    with open(path) as f:
        for line in f:
            i, _, c = line.rstrip("\n").partition(",")
            i = int(i)
            if i != cur:
                if cur is not None:
                    yield cur, codes
                cur, codes = i, set()
            if c:
                codes.add(c)
    if cur is not None:
        yield cur, codes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wangge")
    ap.add_argument("postgis")
    ap.add_argument("--disagreements", help="write the rows that differ (id,lon,lat,postgis,wangge,kind)")
    ap.add_argument("--json", help="write the counts as JSON")
    a = ap.parse_args()

    n = {"rows": 0, "both_same_grid": 0, "both_none": 0, "postgis_none_wangge_some": 0,
         "postgis_some_wangge_none": 0, "different": 0, "postgis_several_grids": 0,
         "postgis_missing_row": 0}
    out = open(a.disagreements, "w") if a.disagreements else None
    if out:
        out.write("id,lon,lat,postgis,wangge,kind\n")
    pg = pg_rows(a.postgis)
    nxt = next(pg, None)
    with open(a.wangge) as f:
        f.readline()  # header
        for rid, line in enumerate(f, start=1):
            fields = line.rstrip("\r\n").split(",")
            w = fields[-1]
            while nxt is not None and nxt[0] < rid:
                nxt = next(pg, None)
            if nxt is None or nxt[0] != rid:
                n["postgis_missing_row"] += 1
                p = set()
            else:
                p = nxt[1]
            n["rows"] += 1
            if len(p) > 1:
                n["postgis_several_grids"] += 1
            if not p and not w:
                n["both_none"] += 1
                continue
            if w and w in p and len(p) == 1:
                n["both_same_grid"] += 1
                continue
            if not p:
                kind = "postgis_none_wangge_some"
            elif not w:
                kind = "postgis_some_wangge_none"
            elif w in p:
                kind = "postgis_several_grids"
            else:
                kind = "different"
            if kind != "postgis_several_grids":
                n[kind] += 1
            if out:
                out.write("%d,%s,%s,%s,%s,%s\n" % (rid, fields[0], fields[1], "|".join(sorted(p)), w, kind))
    if out:
        out.close()
    n["disagreements"] = n["postgis_none_wangge_some"] + n["postgis_some_wangge_none"] + n["different"]
    print("compare: %(rows)d rows: %(both_same_grid)d same grid, %(both_none)d in no grid for both; "
          "PostGIS none / wangge some %(postgis_none_wangge_some)d, PostGIS some / wangge none "
          "%(postgis_some_wangge_none)d, different grids %(different)d; PostGIS several grids "
          "%(postgis_several_grids)d, PostGIS rows missing %(postgis_missing_row)d" % n, file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(n, f, indent=2)


if __name__ == "__main__":
    main()

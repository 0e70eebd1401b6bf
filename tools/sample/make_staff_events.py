#!/usr/bin/python3
"""Build the synthetic staff list and handled-events file of the sample.

    /usr/bin/python3 tools/sample/make_staff_events.py --wangge build/tools/wangge --db out/huzhou.sqlite

The store must hold the sample partitioned as scripts/sample-job.sh partitions it
(the grid codes come from `wangge grids list`, each event's grid from `wangge assign`
on shapefiles/huzhou_events_gcj02.csv). It writes:

shapefiles/staff_sample.csv — who serves each grid, as a county's staff register
  exports it (Chinese header: 网格编码, 岗位, 姓名, 工号, 手机, 专兼职): a 网格长 and one or
  two 网格员 (专职网格员 / 兼职网格员 / 网格员 with 专兼职) for most grids, one 网格指导员
  per village serving all its grids. On purpose some grids have no staff at all, some
  a leader but no worker, some workers but no leader.

shapefiles/events_handling_sample.csv — the good rows of the sample events file (same
  ids, type, time, position; GCJ-02) with how each was handled, as a platform export
  gives it: status (已上报, 已派遣, 处置中, 已办结, 已退回), closed_at (+08:00),
  closed_level (网格, 社区/村, 街道/乡镇, 区/县, 部门: matters a township may not close go
  up), department, and handler (a worker's staff id of the event's grid, where it has
  one). Importing it after the sample events updates them with their handling. Open
  events reported long before the last report of the sample are overdue on purpose.

Names, staff ids and phone numbers are made up (phones in the 170 range of virtual
operators). Deterministic: a fixed seed; the same store gives the same files.
"""
import argparse
import csv
import datetime as dt
import os
import random
import re
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
COUNTIES = ["330502", "330503", "330521", "330522", "330523"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾沈钱蒋姚"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华文斌琳晨宇浩婷雪慧"
DEPARTMENTS = {
    "01": ["区委政法委", "公安分局", "司法所"],
    "02": ["市场监管局", "市场监管所"],
    "03": ["综合行政执法局", "执法中队"],
    "04": ["便民服务中心", "住建局", "环卫所"],
}
TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?([+-]\d\d:?\d\d|Z)$")


def grid_codes(wangge, db):
    codes = []
    for county in COUNTIES:
        out = subprocess.run([wangge, "--db", db, "grids", "list", "--county", county], check=True,
                             capture_output=True, text=True).stdout
        codes += [line.split()[0] for line in out.splitlines() if re.match(r"^\d{15}\s", line)]
    return sorted(codes)


def name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def phone(rng):
    return "170" + "".join(rng.choice("0123456789") for _ in range(8))


def make_staff(codes, rng):
    rows, workers = [], {}
    serial = {}

    def staff_id(county, kind):
        serial[(county, kind)] = serial.get((county, kind), 0) + 1
        return f"{county}{kind}{serial[(county, kind)]:04d}"

    instructors = {}
    for code in codes:
        county, village = code[:6], code[:12]
        luck = rng.random()
        if luck < 0.03:
            continue  # no staff at all
        has_leader = luck >= 0.06  # 0.03-0.06: workers but no leader
        n_workers = 0 if 0.06 <= luck < 0.09 else rng.choice([1, 1, 2])  # 0.06-0.09: a leader alone
        if has_leader:
            rows.append([code, "网格长", name(rng), staff_id(county, "L"), phone(rng), rng.choice(["专职", "专职", "兼职"])])
        for _ in range(n_workers):
            sid = staff_id(county, "W")
            style = rng.random()
            if style < 0.4:
                role, emp = "专职网格员", ""
            elif style < 0.7:
                role, emp = "兼职网格员", ""
            else:
                role, emp = "网格员", rng.choice(["专职", "兼职", ""])
            rows.append([code, role, name(rng), sid, phone(rng) if rng.random() < 0.9 else "", emp])
            workers.setdefault(code, []).append(sid)
        if village not in instructors:
            instructors[village] = (name(rng), staff_id(county, "I"), phone(rng))
        if rng.random() < 0.8:
            n, sid, ph = instructors[village]
            rows.append([code, "网格指导员", n, sid, ph, ""])
    return rows, workers


def good_event(row, types):
    try:
        lon, lat = float(row["lon"]), float(row["lat"])
    except ValueError:
        return False
    if not (row["id"] != "" and row["type"] in types and TIME.match(row["time"] or "") is not None
            and -180 <= lon <= 180 and -90 <= lat <= 90):
        return False
    try:  # an impossible date (2023-02-30) is one of the sample's bad rows
        return dt.datetime.fromisoformat(row["time"]).tzinfo is not None
    except ValueError:
        return False


def make_events(wangge, db, types, workers, rng):
    src = os.path.join(ROOT, "shapefiles", "huzhou_events_gcj02.csv")
    with tempfile.TemporaryDirectory() as tmp:
        coded = os.path.join(tmp, "coded.csv")
        subprocess.run([wangge, "--db", db, "-q", "assign", "--in", src, "--out", coded, "--crs", "gcj02",
                        "--nearest", "--overwrite"], check=True, capture_output=True)
        with open(coded, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if good_event(r, types)]
    last = max(dt.datetime.fromisoformat(r["time"]) for r in rows)
    out = []
    for r in rows:
        reported = dt.datetime.fromisoformat(r["time"])
        grid = r["grid_code"] or r.get("nearest_grid", "")
        closable = types[r["type"]]
        age_days = (last - reported).days
        luck = rng.random()
        if age_days > 60:  # old events: mostly closed, some left open (overdue)
            status = "已办结" if luck < 0.85 else rng.choice(["已上报", "已派遣", "处置中", "已退回"])
        else:
            status = rng.choice(["已办结", "已办结", "处置中", "处置中", "已派遣", "已上报", "已退回"])
        closed_at = level = ""
        department = ""
        handler = rng.choice(workers[grid]) if grid in workers and rng.random() < 0.9 else ""
        if status == "已上报":
            handler = ""  # not yet given to anyone
        platform = r["type"][:2]
        if status == "已办结":
            hours = rng.choice([2, 5, 12, 24, 48, 96, 240, 480]) * (0.5 + rng.random())
            closed_at = (reported + dt.timedelta(hours=hours)).isoformat(timespec="seconds")
            if closable:
                level = rng.choice(["网格", "网格", "社区", "村", "街道", "乡镇"])
            else:
                level = rng.choice(["区", "县", "部门", "部门"])
        if status != "已上报" and (not closable or rng.random() < 0.4):
            department = rng.choice(DEPARTMENTS[platform])
        out.append([r["id"], r["type"], r["time"], status, r["source"], r["lon"], r["lat"], closed_at, level,
                    department, handler])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wangge", default=os.path.join(ROOT, "build", "tools", "wangge"))
    ap.add_argument("--db", required=True, help="the sample store, partitioned")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "shapefiles"))
    a = ap.parse_args()
    with open(os.path.join(ROOT, "engine", "data", "event_types_default.csv"), encoding="utf-8") as f:
        types = {r["code"]: r["township_closable"] == "1" for r in csv.DictReader(f)}
    rng = random.Random(20241117)
    codes = grid_codes(a.wangge, a.db)
    staff, workers = make_staff(codes, rng)
    with open(os.path.join(a.out_dir, "staff_sample.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["网格编码", "岗位", "姓名", "工号", "手机", "专兼职"])
        w.writerows(staff)
    events = make_events(a.wangge, a.db, types, workers, rng)
    with open(os.path.join(a.out_dir, "events_handling_sample.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "type", "time", "status", "source", "lon", "lat", "closed_at", "closed_level", "department",
                    "handler"])
        w.writerows(events)
    print(f"{len(codes)} grids: {len(staff)} staff rows; {len(events)} handled events")


if __name__ == "__main__":
    main()

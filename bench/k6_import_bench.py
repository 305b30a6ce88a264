"""k6 import benchmark: a 1 GB+ NDJSON built from real k6 output, imported next to a plain DuckDB scan and pandas.

usage: .venv/bin/python bench/k6_import_bench.py [--mb 1100] [--data bench/out/k6]

Builds (once, cached in --data) an NDJSON of at least --mb MB by replicating the Point lines of the committed real
k6 fixture (tests/fixtures/k6/out.ndjson) with timestamps shifted run after run, streaming to disk. Then, each in a
fresh child process so that peak memory (ru_maxrss) is the step's own:
  - import:      services.loadtests import of the file (DuckDB stream -> Parquet, figures in SQL, database rows)
  - plain DuckDB: read_json of the same file with the same columns, computing the same per-metric percentiles
  - plain copy:  read_json of every column the import keeps (time, metric, value, tags) straight to Parquet, nothing
                 else (no checks, no Metric lines, no figures): the floor of an import that keeps the points
  - pandas:      pandas.read_json(lines=True) on the first 100 MB (extrapolated MB/s; it holds everything in memory)
No assertion: it prints, a reader judges. Targets: import within 1.5x of the plain DuckDB scan, peak memory < 600 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "k6" / "out.ndjson"


def build(target: Path, min_bytes: int) -> tuple[int, int]:
    """Write the big NDJSON (Metric lines once, Point lines replicated with shifted times); returns (bytes, copies)."""
    metric_lines, points = [], []
    for line in FIXTURE.read_text().splitlines():
        obj = json.loads(line)
        if obj["type"] == "Metric":
            metric_lines.append(line)
            continue
        t = obj["data"]["time"]
        before, after = line.split(f'"time":"{t}"', 1)
        points.append((before, datetime.fromisoformat(t[:26] + "+00:00"), after))
    span = max(p[1] for p in points) - min(p[1] for p in points) + timedelta(seconds=1)
    tmp = target.with_suffix(".tmp")
    written, copies = 0, 0
    with open(tmp, "w", encoding="utf-8", buffering=1 << 22) as fh:
        for line in metric_lines:
            written += fh.write(line + "\n")
        while written < min_bytes:
            shift = span * copies
            chunk = "".join(f'{b}"time":"{(t + shift).strftime("%Y-%m-%dT%H:%M:%S.%f")}Z"{a}\n' for b, t, a in points)
            written += fh.write(chunk)
            copies += 1
    os.replace(tmp, target)
    return written, copies


CHILD_IMPORT = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from services.auth import Actor
from services.db import make_engine, session_scope
from services.loadtests import service
from services.loadtests.schemas import ImportOptions, InputFile
from services.migrate import upgrade
data = Path(sys.argv[2]); url = f"sqlite:///{data / 'state.db'}"
upgrade(url); engine = make_engine(url)
t = time.perf_counter()
with session_scope(engine) as s:
    run = service.import_run(s, actor=Actor("bench", "developer"), files=[InputFile(Path(sys.argv[3]), "big.ndjson")],
                             options=ImportOptions(service="bench"), root=data / "loadtests")
    out = {"requests": run.requests, "p95": run.duration_p95_ms, "p99": run.duration_p99_ms, "points": run.points,
           "parquet": run.points_file}
out["seconds"] = time.perf_counter() - t
out["parquet_mb"] = (data / "loadtests" / out["parquet"]).stat().st_size / 1e6
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

CHILD_DUCKDB = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
from services.loadtests.points import _NDJSON_COLUMNS
con = duckdb.connect(); con.execute("SET threads=2"); con.execute("SET memory_limit='300MB'")
con.execute("SET preserve_insertion_order=false")
t = time.perf_counter()
rows = con.execute(f'''SELECT metric, count(*), avg(data.value), min(data.value), max(data.value),
    quantile_cont(data.value, [0.5, 0.9, 0.95, 0.99])
    FROM read_json('{sys.argv[3]}', format='newline_delimited', columns={_NDJSON_COLUMNS}, compression='none')
    WHERE type = 'Point' GROUP BY metric''').fetchall()
p95 = next(r[5][2] for r in rows if r[0] == "http_req_duration")
print(json.dumps({"seconds": time.perf_counter() - t, "p95": p95,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_DUCKDB_SAME = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
from services.loadtests.points import _NDJSON_COLUMNS
con = duckdb.connect(); con.execute("SET threads=2"); con.execute("SET memory_limit='2GB'")
con.execute("SET preserve_insertion_order=false"); con.execute("SET TimeZone='UTC'")
t = time.perf_counter()
rows = con.execute(f'''SELECT metric, name, chk, sec, count(*), avg(v), min(v), max(v), min(ts), max(ts),
    quantile_cont(v, [0.5, 0.9, 0.95, 0.99])
    FROM (SELECT metric, data.value AS v, data.tags.name AS name, data.tags."check" AS chk,
                 data.time::TIMESTAMPTZ AS ts,
                 date_trunc('second', data.time::TIMESTAMPTZ) AS sec
          FROM read_json('{sys.argv[3]}', format='newline_delimited', columns={_NDJSON_COLUMNS}, compression='none')
          WHERE type = 'Point')
    GROUP BY GROUPING SETS ((metric), (metric, name), (metric, chk), (metric, sec))''').fetchall()
p95 = next(r[10][2] for r in rows if r[0] == "http_req_duration" and r[1] is None and r[2] is None and r[3] is None)
print(json.dumps({"seconds": time.perf_counter() - t, "p95": p95,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_COPY = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
from services.loadtests.points import _NDJSON_COLUMNS, TAGS
con = duckdb.connect(); con.execute("SET threads=2"); con.execute("SET memory_limit='300MB'")
con.execute("SET preserve_insertion_order=false"); con.execute("SET TimeZone='UTC'")
tags = ", ".join(f'data.tags."{t}" AS "{t}"' for t in TAGS)
t = time.perf_counter()
con.execute(f'''COPY (SELECT data.time AS "time", metric, data.value AS "value", {tags}
    FROM read_json('{sys.argv[3]}', format='newline_delimited', columns={_NDJSON_COLUMNS}, compression='none')
    WHERE type = 'Point') TO '{sys.argv[4]}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144)''')
print(json.dumps({"seconds": time.perf_counter() - t,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_PANDAS = r"""
import io, json, resource, sys, time
import pandas as pd
with open(sys.argv[3], "rb") as fh:
    data = fh.read(int(sys.argv[4]))
data = data[: data.rfind(b"\n") + 1]
t = time.perf_counter()
frame = pd.read_json(io.BytesIO(data), lines=True)
points = frame[frame["type"] == "Point"]
values = points["data"].map(lambda d: d["value"])
p95 = values[points["metric"] == "http_req_duration"].quantile(0.95)
print(json.dumps({"seconds": time.perf_counter() - t, "bytes": len(data), "rows": len(frame),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    """Run a step in a fresh Python and return its JSON line."""
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT), *args], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"step failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(results: list[dict]) -> dict:
    """The run with the median time (its other figures with it); peak memory is the largest of all runs."""
    ordered = sorted(results, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "maxrss_mb": max(r["maxrss_mb"] for r in results)}


def main() -> None:
    """Build the file if needed, run the three steps and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1100)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "k6")
    ap.add_argument("--pandas-mb", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    big = args.data / f"big-{args.mb}mb.ndjson"
    if not big.exists():
        t = time.perf_counter()
        size, copies = build(big, args.mb * 10**6)
        print(
            f"built {big} ({size / 1e6:,.0f} MB, {copies:,} copies of the fixture run) "
            f"in {time.perf_counter() - t:.1f} s"
        )
    size_mb = big.stat().st_size / 1e6
    for stale in (args.data / "loadtests").glob("*.parquet") if (args.data / "loadtests").exists() else []:
        stale.unlink()
    (args.data / "state.db").unlink(missing_ok=True)
    runs: dict[str, list[dict]] = {"duck": [], "same": [], "copy": [], "imp": [], "pdx": []}
    for _ in range(args.repeat):  # interleaved, so a busy moment of the machine hits every step alike
        runs["duck"].append(child(CHILD_DUCKDB, "", str(big)))
        runs["same"].append(child(CHILD_DUCKDB_SAME, "", str(big)))
        runs["copy"].append(child(CHILD_COPY, "", str(big), str(args.data / "copy.parquet")))
        (args.data / "copy.parquet").unlink(missing_ok=True)
        for stale in (args.data / "loadtests").glob("*.parquet") if (args.data / "loadtests").exists() else []:
            stale.unlink()
        (args.data / "state.db").unlink(missing_ok=True)
        runs["imp"].append(child(CHILD_IMPORT, str(args.data), str(big)))
        runs["pdx"].append(child(CHILD_PANDAS, "", str(big), str(args.pandas_mb * 10**6)))
    duck, same, copy, imp, pdx = (median(runs[k]) for k in ("duck", "same", "copy", "imp", "pdx"))
    seconds = ", ".join(f"{r['seconds']:.2f}" for r in runs["imp"])
    print(f"medians of {args.repeat} interleaved runs; import seconds: {seconds}")
    print("percentile-scan seconds: " + ", ".join(f"{r['seconds']:.2f}" for r in runs["duck"]))
    print(
        f"file: {size_mb:,.0f} MB NDJSON, {imp['points']:,} points, {imp['requests']:,} requests; Parquet kept: "
        f"{imp['parquet_mb']:,.1f} MB"
    )
    print(f"{'step':<58}{'seconds':>9}{'MB/s':>8}{'peak RSS MB':>13}")
    print(
        f"{'plain DuckDB scan: read_json + percentiles (baseline)':<58}{duck['seconds']:>9.2f}"
        f"{size_mb / duck['seconds']:>8.0f}{duck['maxrss_mb']:>13.0f}"
    )
    print(
        f"{'plain DuckDB scan: the same figures (+endpoints, checks, time)':<58}{same['seconds']:>9.2f}"
        f"{size_mb / same['seconds']:>8.0f}{same['maxrss_mb']:>13.0f}"
    )
    print(
        f"{'plain DuckDB copy: the kept columns to Parquet, nothing else':<58}{copy['seconds']:>9.2f}"
        f"{size_mb / copy['seconds']:>8.0f}{copy['maxrss_mb']:>13.0f}"
    )
    equal = abs(imp["p95"] - duck["p95"]) < 1e-9 and abs(imp["p95"] - same["p95"]) < 1e-9
    print(
        f"{'import: DuckDB -> Parquet, figures in SQL, DB rows':<58}{imp['seconds']:>9.2f}"
        f"{size_mb / imp['seconds']:>8.0f}{imp['maxrss_mb']:>13.0f}   "
        f"({imp['seconds'] / duck['seconds']:.2f}x the percentile scan, "
        f"{imp['seconds'] / same['seconds']:.2f}x the same-figures scan, "
        f"{imp['seconds'] / copy['seconds']:.2f}x the plain copy; p95 equal: {equal})"
    )
    mb = pdx["bytes"] / 1e6
    print(
        f"{f'pandas.read_json(lines=True) on the first {mb:,.0f} MB':<58}{pdx['seconds']:>9.2f}"
        f"{mb / pdx['seconds']:>8.0f}{pdx['maxrss_mb']:>13.0f}   "
        f"(whole file at that speed: ~{size_mb / (mb / pdx['seconds']):,.0f} s)"
    )


if __name__ == "__main__":
    main()

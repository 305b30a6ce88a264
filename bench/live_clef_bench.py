"""Live-metrics refresh on 10 million AppRequests rows, and the CLEF import rate, each next to a baseline.

usage: .venv/bin/python bench/live_clef_bench.py [--rows 10000000] [--events 500000] [--repeat 5]
                                                 [--data bench/out/slo10m]

  - live refresh:  services.monitoring.live.snapshot() as of the data set's end (all its queries, one batch)
    baseline:      plain `AppRequests | summarize count()` over the same 5 minutes through the same source
  - CLEF import:   parse (one worker process per core for a large file) and one Parquet file per table, for a
                   generated file of realistic Serilog events; then once more by `sre-backoffice import clef` in a
                   child process, for its peak resident memory (os.wait4: the largest of it and its workers)
    baseline:      plain json.loads over the same lines
Reuses the data set bench/slo_bench.py seeds (and seeds it the same way when absent). Medians of --repeat runs.
No assertion: it prints, a reader judges.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_data, timed  # noqa: E402
from services.auth import Actor  # noqa: E402
from services.db import make_engine, session_scope  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.monitoring import live  # noqa: E402
from services.telemetry.clef_import import import_files  # noqa: E402
from services.telemetry.local import LocalTelemetrySource  # noqa: E402
from services.telemetry.store import table_files  # noqa: E402

END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the same end as bench/slo_bench.py
ADMIN = Actor("bench", "admin")


def cpu_timed(fn, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median wall seconds and median CPU seconds (this process and its workers; steadier on a shared machine)."""
    walls, cpus, out = [], [], None

    def cpu() -> float:  # this process and its finished worker processes
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + kids.ru_utime + kids.ru_stime

    for _ in range(repeat):
        w, c = time.perf_counter(), cpu()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(cpu() - c)
    return statistics.median(walls), statistics.median(cpus), out


_TEMPLATES = [
    ("Information", "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms", True),
    ("Information", "Verified {CitizenId} in {Elapsed:0.0} ms", True),
    ("Information", "ยืนยันตัวตนสำเร็จ สำหรับ {Account}", False),
    ("Debug", "Cache hit for key {Key}", False),
    ("Warning", "Failed sign-in for {Account} from {ClientIp}", False),
    ("Warning", "Query on {Table} took {Elapsed,8:0.00} ms (threshold {Threshold} ms)", True),
    ("Information", "Order {@Order} created for shop {ShopId}", False),
]
_EXCEPTION = (
    "System.TimeoutException: The DOPA verification call to api.dopa.go.th did not complete within 00:00:30.\r\n"
    " ---> System.Threading.Tasks.TaskCanceledException: The request was canceled due to the configured "
    "HttpClient.Timeout of 30 seconds elapsing.\r\n   at System.Net.Http.HttpClient.HandleFailure(Exception e)\r\n"
    "   --- End of inner exception stack trace ---\r\n"
    "   at Mana.Identity.DopaClient.VerifyAsync(String citizenId, CancellationToken ct) in /src/DopaClient.cs:line 57"
)


def clef_lines(n: int) -> list[str]:
    """Realistic CompactJsonFormatter output: mixed templates, @r, Thai text, trace ids, 2 % exceptions."""
    rng = random.Random(7)
    t0 = END - timedelta(days=1)
    out = []
    for i in range(n):
        level, template, formatted = _TEMPLATES[i % len(_TEMPLATES)]
        ev: dict[str, object] = {
            "@t": (t0 + timedelta(microseconds=i * 170_000)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
            "@mt": template,
        }
        elapsed = rng.lognormvariate(4, 0.5)
        if formatted:
            ev["@r"] = [
                f"{elapsed:.4f}" if "0000" in template else f"{elapsed:8.2f}" if ",8" in template else f"{elapsed:.1f}"
            ]
        if level != "Information":
            ev["@l"] = level
        if i % 50 == 0:
            ev["@l"] = "Error"
            ev["@x"] = _EXCEPTION
        ev["@tr"] = f"{rng.getrandbits(128):032x}"
        ev["@sp"] = f"{rng.getrandbits(64):016x}"
        own = {
            0: {"RequestMethod": "GET", "RequestPath": f"/api/shops/{rng.randrange(10_000)}", "StatusCode": 200},
            1: {"CitizenId": f"1-{rng.randrange(10_000):04d}"},
            2: {"Account": f"user{rng.randrange(5000)}@example.co.th"},
            3: {"Key": f"shop:{rng.randrange(10_000)}"},
            4: {"Account": f"user{rng.randrange(5000)}@example.co.th", "ClientIp": "203.0.113.7"},
            5: {"Table": "dbo.Shops", "Threshold": 200},
            6: {"Order": {"Id": i, "Total": round(elapsed * 10, 2), "$type": "Order"}, "ShopId": rng.randrange(10_000)},
        }[i % len(_TEMPLATES)]
        if formatted:
            own["Elapsed"] = elapsed
        # the enrichers an ASP.NET service typically adds
        ev.update(
            own, SourceContext="Mana.Api", RequestId=f"0HN{rng.getrandbits(40):010X}", MachineName="mana-7d9f-abc12"
        )
        out.append(json.dumps(ev, ensure_ascii=False, separators=(",", ":")))
    return out


def cli_peak_mb(clef: Path, state: Path) -> float:
    """Peak RSS in MB of `sre-backoffice import clef` on the file, in a child process into a scratch store."""
    out = Path(tempfile.mkdtemp(prefix="clef-bench-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SRE_TELEMETRY_DIR": str(out),
        "SRE_DATABASE_URL": f"sqlite:///{state}",
    }
    try:
        cmd = [sys.executable, "-m", "services.cli", "import", "clef", str(clef)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"import clef failed on {clef}")
        return usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "slo10m")
    args = ap.parse_args()

    root = ensure_data(args.data, args.rows)
    src = LocalTelemetrySource(root)
    print(
        f"AppRequests files: {len(table_files(root, 'AppRequests'))}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f} (other processes share these cores)"
    )
    live.snapshot(src, actor=ADMIN, service="mana", at=END)  # warm the OS file cache, as a running app would be
    t_live, snap = timed(lambda: live.snapshot(src, actor=ADMIN, service="mana", at=END), args.repeat)
    base_q = (
        f"AppRequests | where TimeGenerated > datetime({(END - live.WINDOW).isoformat()}) "
        f"and TimeGenerated <= datetime({END.isoformat()}) | summarize count()"
    )
    t_base, _ = timed(lambda: src.query(base_q, timespan=(END - live.WINDOW, END)), args.repeat)

    clef = ROOT / "bench" / "out" / "clef" / f"bench-v2-{args.events}.clef"
    if not clef.exists():
        clef.parent.mkdir(parents=True, exist_ok=True)
        clef.write_text("\n".join(clef_lines(args.events)) + "\n", encoding="utf-8")
    lines = clef.read_text(encoding="utf-8").splitlines()
    t_json, c_json, _ = cpu_timed(lambda: [json.loads(x) for x in lines], max(1, args.repeat // 2))

    state = Path(tempfile.mkdtemp(prefix="clef-bench-state-")) / "state.db"
    upgrade(f"sqlite:///{state}")  # the import writes its audit record

    def one_import() -> object:
        out = Path(tempfile.mkdtemp(prefix="clef-bench-"))
        try:
            with session_scope(make_engine(f"sqlite:///{state}")) as s:
                return import_files(s, out, [clef], actor=ADMIN, service="mana")
        finally:
            shutil.rmtree(out, ignore_errors=True)

    t_clef, c_clef, report = cpu_timed(one_import, max(1, args.repeat // 2))
    peak = cli_peak_mb(clef, state)
    n = len(lines)
    s = snap  # type: ignore[assignment]

    print()
    print(f"{'measure':<64}{'value':>14}")
    print(f"{'baseline: AppRequests | summarize count() over the same 5 min':<64}{t_base * 1000:>11.0f} ms")
    print(
        f"{'live metrics refresh: 4 queries in one batch (snapshot)':<64}{t_live * 1000:>11.0f} ms"
        f"   ({t_live / t_base:.1f}x baseline; {s.requests:,} requests, {s.calls:,} calls in 5 min)"  # type: ignore[attr-defined]
    )
    print(
        f"{'baseline: json.loads over the same CLEF lines':<64}{n / t_json:>11,.0f} ev/s"
        f"   ({n / c_json:,.0f} per CPU-second)"
    )
    print(
        f"{'CLEF import: parse (worker per core), render, one file per table':<64}{n / t_clef:>11,.0f} ev/s"
        f"   ({n / c_clef:,.0f} per CPU-second; {n:,} events in {t_clef:.2f} s: {report.traces:,} traces, "  # type: ignore[attr-defined]
        f"{report.exceptions:,} exceptions)"  # type: ignore[attr-defined]
    )
    size_mb = clef.stat().st_size / 2**20
    print(
        f"{'CLEF import peak memory (sre-backoffice import clef, own process)':<64}{peak:>11,.0f} MB"
        f"   ({size_mb:,.0f} MB file)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

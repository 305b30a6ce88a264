"""Ingestion benchmark: request envelopes as the classic .NET SDK sends them (gzipped NDJSON, 500 a batch) posted to
`sre-backoffice api` on loopback by concurrent clients, next to baselines measured in the same run.

usage: .venv/bin/python bench/ingest_bench.py [--seconds 60] [--envelopes 100000] [--batch 500] [--clients 8]
                                              [--rate 0]

--seconds S (default 60): the clients post for S seconds, cycling through bodies made of --envelopes distinct
envelopes (the sustained rate); --seconds 0: each of the --envelopes is posted once. --rate R: the clients offer R
envelopes a second together (the answer times at that load) instead of posting as fast as the answers come.

The API runs as its own process on a fresh store, spool and SQLite database, with SRE_INGEST_FLUSH_S=1 and the rate
limit off (SRE_INGEST_RATE_PER_KEY=0). Measured: accepted envelopes per second (first post to last answer), p50 and
p99 answer time, the API process's peak resident memory (VmHWM), and the time from the last answer until every row is
queryable (a KQL count on the store, polled). Baselines on the same bodies as were posted (every repeat), in this
process: gunzip + json.loads of every line alone; the same rows (mapped beforehand) written straight to Parquet with
pyarrow, 500 rows a file and all in one file; and the service's own track() (decode, map, spool append with fsync)
without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "00000000-0000-0000-0000-00000000b3c4"
HEADERS = {"Content-Type": "application/x-json-stream", "Content-Encoding": "gzip"}
OPS = ("GET /api/shops", "GET /api/shops/{id}", "POST /api/orders", "POST /api/auth/login")


def envelope(i: int, at: datetime) -> dict[str, Any]:
    """One Request envelope as the classic .NET SDK writes it (its tags, a sampled item now and then)."""
    op = OPS[i % len(OPS)]
    ok = i % 17 != 0
    return {
        "name": "Microsoft.ApplicationInsights.Request",
        "time": (at + timedelta(microseconds=i * 37)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "iKey": KEY,
        "sampleRate": 50.0 if i % 10 == 0 else 100.0,
        "tags": {
            "ai.cloud.role": "mana",
            "ai.cloud.roleInstance": f"mana-7d9f-pod{i % 8}",
            "ai.operation.id": f"{i:032x}",
            "ai.operation.name": op,
            "ai.location.ip": "10.1.2.3",
            "ai.user.id": f"u{i % 997}",
            "ai.session.id": f"s{i % 4001}",
            "ai.application.ver": "2026.12.1",
            "ai.internal.sdkVersion": "aspnet5c:2.22.0-997",
            "ai.internal.nodeName": f"aks-node-{i % 3}",
        },
        "data": {
            "baseType": "RequestData",
            "baseData": {
                "ver": 2,
                "id": f"{i:016x}",
                "name": op,
                "duration": f"00:00:00.{(i * 7919) % 1000:03d}",
                "responseCode": "200" if ok else "500",
                "success": ok,
                "url": f"https://mana-api.azurewebsites.net{op.split()[1].replace('{id}', str(i % 500))}",
                "properties": {"tenant": "th", "AspNetCoreEnvironment": "Production"},
            },
        },
    }


def bodies(n: int, batch: int) -> list[bytes]:
    """`n` envelopes in gzipped NDJSON bodies of `batch` each, timed over the last minute."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    out = []
    for start in range(0, n, batch):
        items = range(start, min(n, start + batch))
        lines = "\n".join(json.dumps(envelope(i, at), separators=(",", ":")) for i in items)
        out.append(gzip.compress(lines.encode(), compresslevel=6))
    return out


def start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`sre-backoffice api` on `port`, once /healthz answers."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "api"], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the API did not start; its log: {log}") from None
            time.sleep(0.2)


@dataclasses.dataclass
class Sent:
    """What the clients posted: wall time, answer times, envelopes accepted, failures, bodies posted."""

    wall: float
    latencies: list[float]
    accepted: int
    failures: list[str]
    bodies: int


async def post_all(
    url: str, payloads: list[bytes], clients: int, *, seconds: float = 0, rate: float = 0, batch: int = 500
) -> Sent:
    """Post from `clients` concurrent clients: each body once, or (`seconds` > 0) the bodies over and over until
    `seconds` have passed; with `rate` (envelopes a second, all clients together) body k is sent no earlier than
    k × batch / rate seconds after the start (an offered load; 0: as fast as the answers come)."""
    latencies: list[float] = []
    failures: list[str] = []
    accepted = 0
    posted = 0
    deadline = time.perf_counter() + seconds

    def take() -> bytes | None:
        nonlocal posted
        if (time.perf_counter() >= deadline) if seconds else posted >= len(payloads):
            return None
        posted += 1
        return payloads[(posted - 1) % len(payloads)]

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal accepted
        while (body := take()) is not None:
            if rate:
                due = started + (posted - 1) * batch / rate
                if due > time.perf_counter():
                    await asyncio.sleep(due - time.perf_counter())
            t = time.perf_counter()
            try:
                r = await http.post(url, content=body, headers=HEADERS)
                if r.status_code == 200:
                    accepted += r.json()["itemsAccepted"]
                else:
                    failures.append(f"{r.status_code} {r.text[:120]}")
            except httpx.TransportError as exc:
                failures.append(type(exc).__name__)
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return Sent(time.perf_counter() - started, latencies, accepted, failures, posted)


def queryable_after(store: Path, n: int, *, limit_s: float = 120) -> float:
    """Seconds until a KQL count over the store sees all `n` requests."""
    from services.telemetry.local import LocalTelemetrySource

    source = LocalTelemetrySource(store)
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        frame = source.query("AppRequests | count", timespan=None, name="bench").frame
        if int(frame.iloc[0, 0]) >= n:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"only part of the {n:,} rows became queryable within {limit_s:g} s")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> list[int]:
    """The process's children, theirs, and so on (Linux /proc/<pid>/task/*/children)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *descendants(int(child))]
    return out


def baselines(payloads: list[bytes], tmp: Path) -> dict[str, float]:
    """Seconds for each baseline over the same bodies (one at a time, so that a minute's worth fits in memory)."""
    import pyarrow as pa

    from services.ingest.admission import Admission
    from services.ingest.mapping import to_row
    from services.ingest.service import track
    from services.ingest.spool import Spool
    from services.telemetry.writer import to_table, write_table

    out = dict.fromkeys(("decode", "parquet_batches", "parquet_one"), 0.0)
    tables = []
    for i, body in enumerate(payloads):
        t = time.perf_counter()
        envelopes = [json.loads(line) for line in gzip.decompress(body).splitlines()]
        out["decode"] += time.perf_counter() - t
        rows = [to_row(e)[1] for e in envelopes]  # mapped beforehand: not timed
        t = time.perf_counter()
        write_table(tmp / "pa-batches", "AppRequests", to_table("AppRequests", rows), name=f"b{i:05d}")
        out["parquet_batches"] += time.perf_counter() - t
        t = time.perf_counter()
        tables.append(to_table("AppRequests", rows))
        out["parquet_one"] += time.perf_counter() - t
    t = time.perf_counter()
    write_table(tmp / "pa-one", "AppRequests", pa.concat_tables(tables))
    out["parquet_one"] += time.perf_counter() - t
    del tables
    spool = Spool(tmp / "track-spool", tmp / "track-store")
    t = time.perf_counter()
    admission = Admission(rate_per_key=0, max_future=timedelta(days=1))  # the time bounds checked, as in the API
    for b in payloads:
        track(b, content_encoding="gzip", keys={KEY: "bench"}, spool=spool, max_bytes=64 << 20, admission=admission)
    out["track"] = time.perf_counter() - t
    spool.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0, help="post for this long (0: each envelope once)")
    ap.add_argument("--envelopes", type=int, default=100_000, help="distinct envelopes (cycled with --seconds)")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rate", type=float, default=0, help="offered envelopes a second (0: as fast as answered)")
    args = ap.parse_args()

    from services.migrate import upgrade
    from tests.e2e.streamlit_server import free_port

    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    payloads = bodies(args.envelopes, args.batch)
    size = sum(len(b) for b in payloads)
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env |= {
        "SRE_DATABASE_URL": url,
        "SRE_TELEMETRY_DIR": str(tmp / "store"),
        "SRE_INGEST_SPOOL_DIR": str(tmp / "spool"),
        "SRE_INGEST_KEYS": f"bench={KEY}",
        "SRE_INGEST_FLUSH_S": "1",
        "SRE_INGEST_RATE_PER_KEY": "0",  # the limit off: what the process can take, not what it is allowed
        "SRE_API_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    proc = start_api(env, port, tmp / "api.log")
    try:
        track_url = f"http://127.0.0.1:{port}/v2/track"
        sent = asyncio.run(
            post_all(track_url, payloads, args.clients, seconds=args.seconds, rate=args.rate, batch=args.batch)
        )
        visible = queryable_after(tmp / "store", sent.accepted)
        rss = peak_rss_mb(proc.pid)
        children = {c: peak_rss_mb(c) for c in descendants(proc.pid)}  # the drain process (and the pool's helper)
    finally:
        proc.terminate()
        proc.wait(30)
    posted = [payloads[i % len(payloads)] for i in range(sent.bodies)]
    n = sum(len(gzip.decompress(b).splitlines()) for b in posted)
    base = baselines(posted, tmp)
    wall, lat, accepted, failures = sent.wall, sent.latencies, sent.accepted, sent.failures

    q = statistics.quantiles(lat, n=100, method="inclusive")
    how = f"for {args.seconds:g} s, cycling {len(payloads)} bodies" if args.seconds else "each once"
    if args.rate:
        how += f", offered at {args.rate:,.0f} a second"
    print(
        f"{n:,} Request envelopes posted {how}: {sent.bodies:,} gzipped NDJSON bodies of {args.batch} "
        f"({size / len(payloads) / 1024:.0f} KB each), {args.clients} concurrent clients on loopback"
    )
    print(f"{'measure':<66} {'envelopes/s':>12} {'seconds':>8}")
    lines = [
        ("baseline: gunzip + json.loads of every line, nothing else", base["decode"]),
        ("baseline: the same rows straight to Parquet (pyarrow), 500 a file", base["parquet_batches"]),
        ("baseline: the same rows straight to Parquet (pyarrow), one file", base["parquet_one"]),
        ("track() in-process: decode, map, spool append + fsync, no HTTP", base["track"]),
    ]
    for label, secs in lines:
        print(f"{label:<66} {n / secs:>12,.0f} {secs:>8.2f}")
    print(f"{'POST /v2/track on uvicorn: accepted':<66} {accepted / wall:>12,.0f} {wall:>8.2f}")
    kids = " + ".join(f"{m:.0f}" for m in children.values())
    print(
        f"answer time p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms; peak RSS: API {rss:.0f} MB, its "
        f"{len(children)} child processes {kids or 0} MB, together {rss + sum(children.values()):.0f} MB"
    )
    print(f"last answer -> every row queryable by KQL: {visible:.2f} s (flush every 1 s)")
    if failures or accepted != n:
        print(f"REFUSED OR LOST: {len(failures)} failed, e.g. {failures[:3]}; accepted {accepted:,} of {n:,}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

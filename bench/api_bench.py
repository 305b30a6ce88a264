"""API benchmark: 2,000 Azure Monitor webhooks from 50 concurrent clients on loopback, next to an empty handler.

usage: .venv/bin/python bench/api_bench.py [--requests 2000] [--clients 50] [--database-url URL]

Starts `sre-backoffice api` as its own process on a fresh SQLite database (or the URL given, which must be migrated
and is written to), posts distinct alerts with httpx's AsyncClient and counts the incidents stored: none may be lost
or refused. Then the same uvicorn settings (limits, protocol, one process) serve an ASGI app that answers 200 to
everything, and the same load runs against it. Prints requests/s, p50 and p99 latency for both.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
ALERT: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "",
            "alertRule": "mana DOPA failures",
            "severity": "Sev2",
            "signalType": "Log",
            "monitorCondition": "Fired",
            "monitoringService": "Log Alerts V2",
            "alertTargetIDs": ["/subscriptions/1/resourcegroups/mana/providers/microsoft.insights/components/mana-ai"],
            "firedDateTime": "2026-11-01T10:00:05Z",
            "description": "DOPA dependency failure rate above 5 %",
        },
        "alertContext": {"conditionType": "LogQueryCriteria"},
    },
}


async def empty_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: read the body, answer 200 with a tiny JSON body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


def serve_empty(port: int) -> None:
    """Run the baseline with the API's own uvicorn configuration, the app swapped."""
    import uvicorn

    from services.api.server import config
    from services.config import get_settings

    cfg = config(get_settings(), port=port)
    cfg.app = empty_app
    cfg.access_log = True
    uvicorn.Server(cfg).run()


def start(argv: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """A server process (its output in `log`), once it answers."""
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {' '.join(argv)}") from None
            time.sleep(0.2)


async def load(url: str, *, requests: int, clients: int, prefix: str) -> tuple[float, list[float], list[str]]:
    """Post `requests` distinct alerts from `clients` concurrent clients: wall time, latencies, failures."""
    latencies: list[float] = []
    failures: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = copy.deepcopy(ALERT)
            body["data"]["essentials"]["alertId"] = f"/bench/{prefix}/alerts/{i}"
            t = time.perf_counter()
            try:
                r = await http.post(url, json=body)
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:120]}")
            except httpx.TransportError as exc:
                failures.append(type(exc).__name__)
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return time.perf_counter() - started, latencies, failures


def p(latencies: list[float], q: float) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[int(q) - 1] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--database-url")
    ap.add_argument("--serve-empty", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_empty:
        serve_empty(args.serve_empty)
        return

    from sqlalchemy import text

    from services.db import make_engine
    from services.migrate import upgrade
    from tests.e2e.streamlit_server import free_port

    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if not args.database_url:
        upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env |= {"SRE_DATABASE_URL": url, "SRE_WEBHOOK_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    prefix = f"{time.time_ns()}"
    rows: dict[str, Any] = {}
    for name, argv in (
        ("api", [sys.executable, "-m", "services.cli", "api"]),
        ("empty", [sys.executable, __file__, "--serve-empty"]),
    ):
        port = free_port()
        argv += [str(port)] if name == "empty" else []
        proc = start(argv, env | {"SRE_API_PORT": str(port)}, port, tmp / f"{name}.log")
        try:
            hook = f"http://127.0.0.1:{port}/hooks/azure-monitor?token={TOKEN}"
            rows[name] = asyncio.run(load(hook, requests=args.requests, clients=args.clients, prefix=prefix))
        finally:
            proc.terminate()
            proc.wait(30)
    engine = make_engine(url)
    with engine.connect() as c:
        stored = c.execute(
            text("SELECT count(*) FROM incident WHERE source = 'azure-monitor' AND source_ref LIKE :p"),
            {"p": f"/bench/{prefix}/%"},
        ).scalar_one()
    engine.dispose()

    print(f"{args.requests:,} webhooks from {args.clients} concurrent clients on loopback ({engine.dialect.name})")
    print(f"{'server':<34} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for name, label in (("api", "sre-backoffice api (stores each)"), ("empty", "uvicorn, empty handler (baseline)")):
        wall, lat, failures = rows[name]
        print(f"{label:<34} {len(lat) / wall:>10.0f} {p(lat, 50):>8.1f} {p(lat, 99):>8.1f} {len(failures):>7}")
    api_failures = rows["api"][2]
    print(f"incidents stored: {stored:,} of {args.requests:,}")
    if api_failures or stored != args.requests:
        print(
            f"LOST OR REFUSED: {len(api_failures)} failed, e.g. {api_failures[:3]}; the server's log: {tmp / 'api.log'}"
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Audit chain benchmark: the time the hash chain adds to one recorded change, next to a plain insert of the same row.

usage: .venv/bin/python bench/audit_bench.py [--changes 2000] [--pg-url postgresql+psycopg://postgres@127.0.0.1/test]

Each change is its own transaction, as one user action is. The chained path is `audit.record` (chain lock, head read,
SHA-256, insert); the plain path inserts the same record with its hashes filled in beforehand, into a second database
migrated the same way, so the difference is what the chain costs. Both paths alternate in batches of 100 in the same
run, on SQLite (a file) and, when reachable, PostgreSQL (a scratch database, dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from services import audit  # noqa: E402
from services.auth import Actor  # noqa: E402
from services.db import make_engine, session_scope, utcnow  # noqa: E402
from services.migrate import upgrade  # noqa: E402

ACTOR = Actor("olli", "operator", os_user="olli")
BEFORE = {"status": "new", "assignee": None, "severity": "Sev2", "title": "DOPA verification timing out", "version": 3}
AFTER = {**BEFORE, "status": "acknowledged", "assignee": "olli", "version": 4}
BATCH = 100


def _chained(engine: Engine, i: int) -> None:
    with session_scope(engine) as s:
        audit.record(
            s, actor=ACTOR, action="incident.acknowledged", entity="incident", entity_id=i, before=BEFORE, after=AFTER
        )


def _plain(engine: Engine, i: int) -> None:
    with session_scope(engine) as s:
        s.add(
            audit.AuditRecord(
                at=utcnow(),
                actor=ACTOR.name,
                role=ACTOR.role,
                os_user=ACTOR.os_user,
                action="incident.acknowledged",
                entity="incident",
                entity_id=str(i),
                before=BEFORE,
                after=AFTER,
                prev_hash="0" * 64,
                hash="0" * 64,
            )
        )


def _per_change(fn: Callable[[Engine, int], None], engine: Engine, start: int) -> list[float]:
    out = []
    for i in range(start, start + BATCH):
        t = time.perf_counter()
        fn(engine, i)
        out.append(time.perf_counter() - t)
    return out


def measure(name: str, chained: Engine, plain: Engine, changes: int) -> None:
    """Alternate batches of both paths; print the per-change medians and means and what the chain adds."""
    for i in range(20):  # warm both connections and caches
        _chained(chained, i)
        _plain(plain, i)
    with_chain: list[float] = []
    without: list[float] = []
    for start in range(0, changes, BATCH):
        with_chain += _per_change(_chained, chained, start)
        without += _per_change(_plain, plain, start)
    with session_scope(chained) as s:
        state = audit.verify_chain(s, actor=ACTOR)
    t = time.perf_counter()
    with session_scope(chained) as s:
        audit.verify_chain(s, actor=ACTOR)
    verify_s = time.perf_counter() - t
    ms = lambda xs, f: f(xs) * 1000  # noqa: E731
    med_c, med_p = ms(with_chain, statistics.median), ms(without, statistics.median)
    mean_c, mean_p = ms(with_chain, statistics.fmean), ms(without, statistics.fmean)
    print(f"{name}: {changes:,} changes each way, one transaction per change")
    print(f"  plain insert      median {med_p:7.3f} ms   mean {mean_p:7.3f} ms")
    print(f"  chained record    median {med_c:7.3f} ms   mean {mean_c:7.3f} ms")
    print(f"  the chain adds    median {med_c - med_p:7.3f} ms   mean {mean_c - mean_p:7.3f} ms   (target < 5 ms)")
    print(f"  verify {state.checked:,} records: {verify_s:.3f} s ({'ok' if state.ok else state.summary()})")


def _sqlite(changes: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        urls = [f"sqlite:///{d}/chained.db", f"sqlite:///{d}/plain.db"]
        for url in urls:
            upgrade(url)
        engines = [make_engine(u) for u in urls]
        measure("SQLite (file, WAL)", engines[0], engines[1], changes)
        for e in engines:
            e.dispose()


def _postgres(admin_url: str, changes: int) -> None:
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:
        print(f"PostgreSQL skipped, not reachable at {admin_url}: {str(exc).splitlines()[0]}")
        return
    names = [f"audit_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        with admin.connect() as c:
            for n in names:
                c.execute(text(f'CREATE DATABASE "{n}"'))
        urls = [admin_url.rsplit("/", 1)[0] + f"/{n}" for n in names]
        for url in urls:
            upgrade(url)
        engines = [make_engine(u) for u in urls]
        measure("PostgreSQL (loopback)", engines[0], engines[1], changes)
        for e in engines:
            e.dispose()
    finally:
        with admin.connect() as c:
            for n in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=2000)
    p.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    _sqlite(args.changes)
    _postgres(args.pg_url, args.changes)


if __name__ == "__main__":
    main()

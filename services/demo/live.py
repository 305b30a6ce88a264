"""Live demo traffic: every few seconds, the telemetry of the time that passed since the last tick."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.demo.columns import to_us, utc
from services.demo.core import DEFAULT_SEED
from services.demo.population import population
from services.demo.tables import generate
from services.telemetry.writer import write_table

MAX_CATCH_UP = timedelta(minutes=10)  # after a long pause, write the last ten minutes, not hours at once


def start_live(session: Session, *, actor: Actor, root: Path, interval_s: float) -> None:
    """Check the actor may write demo traffic and record the run's start (one record per run, not per tick)."""
    require(actor, "demo.live")
    audit.record(
        session,
        actor=actor,
        action="demo.live",
        entity="telemetry_store",
        entity_id=None,
        after={"folder": str(root), "interval_s": interval_s},
    )


def live(
    root: Path,
    *,
    interval_s: float = 5.0,
    seed: int | None = None,
    stop: threading.Event | None = None,
    iterations: int | None = None,
    now_fn: Callable[[], datetime] | None = None,
    rate_per_minute: float = 60.0,
) -> int:
    """Append mana's traffic for each elapsed interval, every `interval_s` seconds, until `stop` is set.

    The first tick covers [now - interval_s, now), each later one [previous now, now); no row is ever later
    than `now`, so a clock that does not move (a fixed `now_fn`) writes nothing after the first tick. One
    file per table per tick, named live-<start>-<end> so the files sort by time. With `seed` the rows of a
    tick depend only on the seed and the tick's start; without it they are random (the users are always
    those of the default seed, so live traffic continues the seeded data). Returns the rows written.
    """
    clock = now_fn or (lambda: datetime.now(UTC))
    stop = stop or threading.Event()
    pop = population(DEFAULT_SEED if seed is None else seed)
    interval = timedelta(seconds=interval_s)
    written = 0
    last: datetime | None = None
    ticks = 0
    while not stop.is_set():
        now = utc(clock())
        start = now - interval if last is None else max(last, now - MAX_CATCH_UP)
        if now > start:
            entropy = None if seed is None else [seed & 0xFFFF_FFFF_FFFF_FFFF, to_us(start)]
            rng = np.random.default_rng(np.random.SeedSequence(entropy))
            tables = generate(start, now, rng=rng, rate_per_minute=rate_per_minute, population_=pop)
            name = f"live-{start:%Y%m%dT%H%M%S%f}-{now:%Y%m%dT%H%M%S%f}"
            for table, data in tables.items():
                if data.num_rows:
                    write_table(root, table, data, name=name)
                    written += data.num_rows
            last = now
        ticks += 1
        if iterations is not None and ticks >= iterations:
            break
        stop.wait(interval_s)
    return written

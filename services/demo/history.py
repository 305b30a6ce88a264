"""The demo's older days, written in the background so that `make run` serves its first page fast.

`demo seed --recent-days N` writes only the newest N UTC days of the period and leaves a note in the telemetry folder
(`.demo-history.json`: the period, the seed, how many older days are done); `demo live` then writes the older days,
newest first (the 7-day figures fill before the 30-day ones), one day at a time, updating the note after each and
removing it when the last is written. A day's rows are the same as a whole seeding's (each day has its own random
stream), and seeding a day again replaces its files, so a backfill stopped half-way simply resumes at the next start.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from services.demo import generator

NOTE = ".demo-history.json"


@dataclass(frozen=True)
class Pending:
    """Older days of a seeded period still to be written."""

    end: datetime
    days: int
    recent_days: int
    seed: int
    done: int  # older days written so far
    rate_per_minute: float = 60.0

    @property
    def spans(self) -> int:
        """UTC day spans of the whole period (a partial day at each end)."""
        return len(generator.days_of(self.end - timedelta(days=self.days), self.end))

    @property
    def total(self) -> int:
        """Older days to write: every span but the newest `recent_days`."""
        return max(0, self.spans - self.recent_days)


def _write(root: Path, p: Pending) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{NOTE}.tmp"
    tmp.write_text(json.dumps({**asdict(p), "end": p.end.isoformat()}))
    os.replace(tmp, root / NOTE)


def plan(
    root: Path, *, end: datetime, days: int, recent_days: int, seed: int, rate_per_minute: float = 60.0
) -> Pending | None:
    """Note that the period's older days are still to be written (None when the recent days are the whole period)."""
    p = Pending(end, days, recent_days, seed, 0, rate_per_minute)
    if p.total <= 0:
        clear(root)
        return None
    _write(root, p)
    return p


def pending(root: Path) -> Pending | None:
    """The note of older days still to be written, or None (none left, or a note that cannot be read)."""
    try:
        raw = json.loads((root / NOTE).read_text())
        return Pending(
            datetime.fromisoformat(raw["end"]),
            int(raw["days"]),
            int(raw["recent_days"]),
            int(raw["seed"]),
            int(raw["done"]),
            float(raw.get("rate_per_minute", 60.0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(root: Path) -> None:
    """Forget the note (every older day is written, or the store was seeded whole)."""
    (root / NOTE).unlink(missing_ok=True)


def backfill(root: Path, *, stop: threading.Event | None = None) -> int:
    """Write the older days the note names, newest first, until done or `stop` is set; returns the days written."""
    p = pending(root)
    if p is None:
        return 0
    oldest_recent = p.spans - p.recent_days  # index of the oldest span the first seeding wrote
    written = 0
    for done in range(p.done, p.total):
        if stop is not None and stop.is_set():
            break
        i = oldest_recent - 1 - done
        generator.seed(
            root, days=p.days, seed=p.seed, end=p.end, rate_per_minute=p.rate_per_minute, which=slice(i, i + 1)
        )
        p = Pending(p.end, p.days, p.recent_days, p.seed, done + 1, p.rate_per_minute)
        _write(root, p)
        written += 1
    if p.done >= p.total:
        clear(root)
    return written


def start_backfill(root: Path, *, stop: threading.Event) -> threading.Thread | None:
    """Run backfill in a thread of its own when older days are pending (what `demo live` does first)."""
    p = pending(root)
    if p is None:
        return None
    print(f"writing {p.total - p.done} older demo day(s) in the background", flush=True)
    t = threading.Thread(target=backfill, args=(root,), kwargs={"stop": stop}, name="demo-history", daemon=True)
    t.start()
    return t

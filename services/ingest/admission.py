"""What a call with a known key must still pass before anything of it is spooled: the key's rate (items a second, a
token bucket per key in this process, answered 429 with Retry-After) and the time bounds of each item (before 2000 or
further ahead of the server's clock than SRE_INGEST_MAX_FUTURE_MIN: that item refused). What is refused is counted
per environment and logged once a minute.

A small class rather than the `limits` package: that one offers fixed, moving and sliding windows, not a token bucket,
and its in-memory moving window keeps one entry per item (50,000 a second per key here).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from services.db import utcnow
from services.ingest.mapping import TimeBounds

log = logging.getLogger("sre_backoffice.ingest")
SUMMARY_S = 60.0  # refusals are logged at most this often: a flood must not flood the log too


class TokenBucket:
    """`rate` tokens a second, up to `rate` held (one second's burst). A call takes as many tokens as it has items;
    a batch larger than the bucket is let through when the bucket is full and leaves it in debt, so any batch size
    passes eventually and the long-run rate still holds."""

    def __init__(self, rate: float, *, now: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = now

    def take(self, n: int, *, now: float) -> float:
        """0 when `n` items may pass (and are taken); otherwise the seconds until they may."""
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        need = min(n, self.rate)
        if self.tokens >= need:
            self.tokens -= n
            return 0.0
        return (need - self.tokens) / self.rate


class KeyRateLimit:
    """One token bucket per ingestion key, for the process (thread-safe); `rate` 0 lets everything through."""

    def __init__(self, rate: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, counts: Mapping[str, int]) -> int:
        """0 when every key may send its count of items now (all are taken); otherwise nothing is taken and the whole
        seconds to wait (Retry-After), at least 1."""
        if not self.rate:
            return 0
        with self._lock:
            now = self._monotonic()
            buckets = [(self._buckets.setdefault(k, TokenBucket(self.rate, now=now)), n) for k, n in counts.items()]
            waits = [b.take(n, now=now) for b, n in buckets]
            if not any(waits):
                return 0
            for (bucket, n), wait in zip(buckets, waits, strict=True):
                if not wait:  # give back what the keys that could pass took: nothing of the call is accepted
                    bucket.tokens += n
            return max(1, math.ceil(max(waits)))


class Admission:
    """The rate limit, the time bounds (from `clock`) and the tally of what they refused, per environment."""

    def __init__(
        self,
        *,
        rate_per_key: int,
        max_future: timedelta,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = KeyRateLimit(rate_per_key, monotonic=monotonic)
        self.max_future = max_future
        self.clock = clock
        self.refused: Counter[tuple[str, str]] = Counter()  # (environment, "rate" | "time") → items, since start
        self._unlogged: Counter[tuple[str, str]] = Counter()
        self._monotonic = monotonic
        self._logged_at = -math.inf  # the first refusal is reported at once
        self._lock = threading.Lock()

    def bounds(self) -> TimeBounds:
        """The time bounds of a call arriving now."""
        return TimeBounds(self.clock(), self.max_future)

    def count(self, environment: str, reason: str, items: int) -> None:
        """`items` of `environment` refused for `reason` ("rate": over the key's rate, "time": out of bounds)."""
        if items:
            with self._lock:
                self.refused[environment, reason] += items
                self._unlogged[environment, reason] += items

    def log_due(self) -> None:
        """One log line with what was refused since the last one, at most every SUMMARY_S (the flusher calls it)."""
        with self._lock:
            if not self._unlogged or self._monotonic() - self._logged_at < SUMMARY_S:
                return
            unlogged, self._unlogged = self._unlogged, Counter()
            self._logged_at = self._monotonic()
        words = {"rate": "over SRE_INGEST_RATE_PER_KEY (answered 429)", "time": "timed before 2000 or too far ahead"}
        parts = [f"{env}: {n:,} {words[reason]}" for (env, reason), n in sorted(unlogged.items())]
        log.warning("ingest: items refused since the last report: %s", "; ".join(parts))

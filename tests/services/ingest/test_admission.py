"""The admission checks on their own, with fixed instants and a hand-turned monotonic clock: an item's time bounds
(before 2000, too far ahead), each key's token bucket, and the refusal report in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest import otlp_logs
from services.ingest.admission import Admission, KeyRateLimit, TokenBucket
from services.ingest.mapping import OutOfBounds, TimeBounds, to_row
from tests.services.ingest.test_mapping import envelope
from tests.services.ingest.test_otlp_mapping import logs, record

NOW = datetime(2026, 12, 2, 21, 40, tzinfo=UTC)
DAY = TimeBounds(NOW, timedelta(days=1))


class Ticks:
    """A monotonic clock the test turns."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def at(time: str) -> dict[str, object]:
    return {**envelope("Event", {"name": "checkout"}), "time": time}


@pytest.mark.parametrize(
    "time",
    ["2000-01-01T00:00:00Z", "2026-12-03T21:40:00Z", "2026-12-04T04:40:00+07:00", "2026-12-03T21:40:00"],
)
def test_times_from_2000_to_a_day_ahead_are_accepted(time: str) -> None:
    _, row = to_row(at(time), DAY)
    assert row["TimeGenerated"] <= NOW + timedelta(days=1)  # Bangkok 04:40 the next day is 21:40 UTC: the bound


@pytest.mark.parametrize(
    ("time", "message"),
    [
        ("1999-12-31T23:59:59.999999Z",
         "time 1999-12-31T23:59:59.999999Z is before 2000-01-01T00:00:00Z, the earliest accepted: fix the sender's "
         "clock"),
        ("0001-01-01T00:00:00+01:00",
         "time '0001-01-01T00:00:00+01:00' is before 2000-01-01T00:00:00Z, the earliest accepted: fix the sender's "
         "clock"),
        ("2026-12-03T21:40:00.000001Z",
         "time 2026-12-03T21:40:00.000001Z is more than 1440 min ahead of the backoffice's clock (latest accepted "
         "2026-12-03T21:40:00Z): fix the sender's clock, or raise SRE_INGEST_MAX_FUTURE_MIN"),
    ],
)  # fmt: skip
def test_a_time_out_of_bounds_is_refused_naming_the_time_and_the_bound(time: str, message: str) -> None:
    with pytest.raises(OutOfBounds) as refused:
        to_row(at(time), DAY)
    assert str(refused.value) == message


def test_without_bounds_any_time_is_a_row() -> None:
    _, row = to_row(at("1990-01-01T00:00:00Z"))
    assert row["TimeGenerated"] == datetime(1990, 1, 1, tzinfo=UTC)


def test_otlp_log_records_out_of_bounds_are_counted_apart() -> None:
    future = int((NOW + timedelta(days=2)).timestamp()) * 10**9
    mapped = otlp_logs.to_rows(logs(record("ok"), record("late", time_unix_nano=future), record("x", time_unix_nano=0)),
                               DAY)  # fmt: skip
    # three records: one stored, one two days ahead (out of bounds), one without a time (refused for that)
    assert (sum(len(r) for r in mapped.rows.values()), mapped.rejected, mapped.out_of_bounds) == (1, 2, 1)
    assert mapped.problems[0].startswith("log record: time 2026-12-04T21:40:00Z is more than 1440 min ahead")


def test_a_bucket_holds_one_second_and_refills_at_its_rate() -> None:
    bucket = TokenBucket(100, now=0.0)
    assert bucket.take(60, now=0.0) == 0.0  # 100 → 40
    assert bucket.take(60, now=0.0) == pytest.approx(0.2)  # 20 short, at 100 a second
    assert bucket.take(60, now=0.2) == 0.0  # 40 + 20 refilled = 60 → 0
    assert bucket.take(1, now=100.0) == 0.0 and bucket.tokens == 99  # refilled to 100, not beyond


def test_a_batch_larger_than_the_bucket_passes_when_full_and_leaves_a_debt() -> None:
    bucket = TokenBucket(10, now=0.0)
    assert bucket.take(50, now=0.0) == 0.0  # full: 10 → -40
    assert bucket.take(1, now=1.0) == pytest.approx(3.1)  # -30 after a second: 31 short, at 10 a second
    assert bucket.tokens == pytest.approx(-30)


def test_a_key_over_its_rate_waits_whole_seconds_and_other_keys_do_not() -> None:
    ticks = Ticks()
    limit = KeyRateLimit(1000, monotonic=ticks)
    assert limit.take({"a": 1000}) == 0
    assert limit.take({"a": 1}) == 1  # 1 short at 1,000 a second: 1 ms, answered as the least Retry-After, 1 s
    assert limit.take({"b": 1000}) == 0
    ticks.t += 0.5
    assert limit.take({"a": 400, "b": 600}) == 1  # b has 500 of 600: the call waits, and a's 400 are given back
    assert limit.take({"a": 500}) == 0  # a still has its 500


def test_rate_zero_is_no_limit() -> None:
    assert KeyRateLimit(0).take({"a": 10**9}) == 0


def test_refusals_are_reported_at_once_then_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    ticks = Ticks()
    admission = Admission(rate_per_key=10, max_future=timedelta(days=1), clock=lambda: NOW, monotonic=ticks)
    admission.count("dev", "rate", 500)
    admission.count("dev", "time", 2)
    with caplog.at_level(logging.WARNING, "sre_backoffice.ingest"):
        admission.log_due()
        admission.count("staging", "rate", 7)
        ticks.t += 59
        admission.log_due()  # within the minute: kept for the next report
        ticks.t += 1
        admission.log_due()
        admission.log_due()  # nothing new: no line
    assert [r.getMessage() for r in caplog.records] == [
        "ingest: items refused since the last report: dev: 500 over SRE_INGEST_RATE_PER_KEY (answered 429); "
        "dev: 2 timed before 2000 or too far ahead",
        "ingest: items refused since the last report: staging: 7 over SRE_INGEST_RATE_PER_KEY (answered 429)",
    ]
    assert admission.refused == {("dev", "rate"): 500, ("dev", "time"): 2, ("staging", "rate"): 7}
    assert admission.bounds() == TimeBounds(NOW, timedelta(days=1))

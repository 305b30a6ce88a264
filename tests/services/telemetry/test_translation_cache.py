"""A query text is parsed once: reruns use the cached translation, with the clock of each run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb_kql
import pytest

from services.alerts.evaluation import RuleSpec, fetch
from services.auth import Actor
from services.errors import InvalidInput, QueryError
from services.telemetry import parameters, runner, translation, translation_disk
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

DAY = (AT - timedelta(days=1), AT)
HOUR_EARLIER = (AT - timedelta(days=1), AT - timedelta(hours=1))
LAST_30M = "AppRequests | where TimeGenerated > ago(30m) | count"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts duckdb-kql translated; a check of the syntax on its own would fail the test."""
    seen: list[str] = []
    real = duckdb_kql.to_sql

    def counting(kql: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(kql)
        return real(kql, *args, **kwargs)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the local source parses a text once, in its translation")

    translation.CACHE.clear()
    monkeypatch.setattr(duckdb_kql, "to_sql", counting)
    monkeypatch.setattr(duckdb_kql, "validate", refused)
    # the in-memory cache on its own: the translations on disk have their tests in test_translation_disk.py
    monkeypatch.setattr(translation_disk, "read", lambda folder, name: None)
    yield seen
    translation.CACHE.clear()


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(root, "AppRequests", [req(m) for m in (10, 70, 80)])  # 11:50, 10:50 and 10:40 on the fixture day
    return LocalTelemetrySource(root)


def count(source: LocalTelemetrySource, kql: str, span: tuple[Any, Any]) -> int:
    return int(source.query(kql, timespan=span).frame.iloc[0, 0])


def test_a_rerun_skips_the_parser_and_keeps_its_own_clock(source: LocalTelemetrySource, parses: list[str]) -> None:
    # ending at 12:00, the last 30 minutes hold the 11:50 request; ending at 11:00, the 10:50 and 10:40 ones
    assert count(source, LAST_30M, DAY) == 1
    assert count(source, LAST_30M, HOUR_EARLIER) == 2
    assert count(source, LAST_30M, DAY) == 1
    assert parses == [LAST_30M]
    assert translation.CACHE.hits == 2 and translation.CACHE.misses == 1


def test_a_query_that_sets_its_own_clock_keeps_it(source: LocalTelemetrySource, parses: list[str]) -> None:
    pinned = f"set query_now = datetime(2026-11-01T11:00:00Z);\n{LAST_30M}"
    # after 10:30: all three requests, whatever the end of the range
    assert count(source, pinned, DAY) == 3
    assert count(source, pinned, DAY) == 3
    assert len(parses) == 1


def test_a_failing_text_is_parsed_once_and_fails_alike(source: LocalTelemetrySource, parses: list[str]) -> None:
    messages = []
    for _ in range(2):
        with pytest.raises(QueryError) as exc:
            source.query("AppRequests | summarize buildschema(Properties)", timespan=DAY, name="p")
        messages.append(str(exc.value))
    assert messages[0] == messages[1] and "buildschema() (line 1, column 25)" in messages[0]
    assert len(parses) == 1


def test_the_cache_keeps_the_most_recent_texts(
    source: LocalTelemetrySource, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(translation.CACHE, "size", 2)
    texts = [f"AppRequests | where DurationMs > {n} | count" for n in (1, 2, 3)]
    for text in [*texts, texts[2], texts[0]]:
        count(source, text, DAY)
    # the third text pushed out the first, so only the first was parsed twice
    assert parses == [*texts, texts[0]]


def _rule(query: str) -> RuleSpec:
    return RuleSpec(query=query, aggregation="Count", measure_column="", dimension="", operator="GreaterThan",
                    threshold=0, frequency_min=5, window_min=30)  # fmt: skip


def test_an_alert_rule_is_parsed_once_whatever_its_window(source: LocalTelemetrySource, parses: list[str]) -> None:
    # the worker evaluates a rule every cycle over a window that moves: the values travel beside the text
    rule = _rule("AppRequests")
    seen = [fetch(source, rule, at)["n"].sum() for at in (AT, AT - timedelta(hours=1), AT - timedelta(minutes=5))]
    # (11:30, 12:00] holds the 11:50 request; (10:30, 11:00] the 10:50 and 10:40 ones; (11:25, 11:55] the 11:50 one
    assert seen == [1, 2, 1]
    assert len(parses) == 1 and parses[0].startswith("declare query_parameters(rule_window_start:datetime")


def test_a_parameter_error_names_the_line_the_caller_wrote(source: LocalTelemetrySource, parses: list[str]) -> None:
    rule = _rule("AppRequests\n| where Foo == 1")
    with pytest.raises(QueryError, match=r"AppRequests has no column Foo \(line 2, column 9\)") as exc:
        fetch(source, rule, AT)
    assert (exc.value.line, exc.value.column) == (2, 9)


def test_parameters_go_in_front_as_a_declaration_locally_and_as_lets_on_azure() -> None:
    values = {"since": AT, "step": timedelta(minutes=5), "who": 'a"b', "n": 3, "ok": True}
    assert parameters.declared("T", values) == (
        "declare query_parameters(since:datetime, step:timespan, who:string, n:long, ok:bool);\nT"
    )
    assert parameters.inlined("T", values) == (
        'let since = datetime(2026-11-01T12:00:00.000000Z);\nlet step = time(0.00:05:00.000000);\nlet who = "a\\"b";\n'
        "let n = long(3);\n"
        "let ok = true;\nT"
    )
    with pytest.raises(InvalidInput, match="a name is letters, digits and _"):
        parameters.declared("T", {"x; drop": 1})


def test_a_catalogue_query_is_parsed_once_as_its_range_moves(source: LocalTelemetrySource, parses: list[str]) -> None:
    # a page reruns its catalogue queries over a range that moves with the clock: the times are values, not text
    viewer = Actor("v", "viewer")

    def requests(end: datetime) -> int:
        found = runner.run(
            source, "service_health", actor=viewer, start=end - timedelta(hours=1), end=end, service="mana"
        )
        return int(found.frame["requests"].iloc[0])

    counts = [requests(end) for end in (AT, AT - timedelta(minutes=30), AT - timedelta(minutes=5))]
    # (11:00, 12:00] holds the 11:50 request; (10:30, 11:30] the 10:50 and 10:40 ones; (10:55, 11:55] the 11:50 one
    assert counts == [1, 2, 1]
    assert len(parses) == 1 and "catalogue_start" in parses[0]


def test_an_slo_is_parsed_once_whatever_the_instant(source: LocalTelemetrySource, parses: list[str]) -> None:
    # `slo status` runs at any instant: the bucket offset (the instant's distance past the hour) moves with it, and
    # was a literal in the text, so every run parsed again. The instants and the offset are parameters now.
    from services.slos.evaluation import SloDefinition, evaluate

    viewer = Actor("v", "viewer")
    avail = SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 1)
    total = "AppRequests | where AppRoleName == 'mana'"
    ratio = SloDefinition(2, "ratio", "mana", None, "ratio", 99.0, None, 1, good_query=total, total_query=total)
    instants = (AT, AT - timedelta(minutes=17, seconds=23), AT - timedelta(minutes=41, seconds=5))
    got = [[(s.good, s.total) for s in evaluate(source, [avail, ratio], actor=viewer, at=at)] for at in instants]
    # the requests are at 11:50, 10:50 and 10:40; the one-day window ending at each instant holds them all but the
    # newest when it ends before 11:50
    assert got == [[(3, 3), (3, 3)], [(2, 2), (2, 2)], [(2, 2), (2, 2)]]
    # one text for the request scan, one for each query of the ratio SLO (the same text twice: one parse)
    assert len(parses) == 2

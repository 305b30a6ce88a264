"""Real public KQL queries against Application Insights data (tests/fixtures/kql_corpus.yaml) on demo telemetry.

The MUST_PASS queries run on the local store; every other one fails with a message that says where (line and column)
or what is missing (a column, a table), never with the engine's own error text. Seven queries are worked out again in
plain DuckDB SQL over the same Parquet files and must give the same numbers.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

from services.demo.generator import day_rng
from services.demo.tables import generate
from services.errors import QueryError
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.source import QueryResult
from services.telemetry.store import table_files
from services.telemetry.writer import write_table

CORPUS_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "kql_corpus.yaml"
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # ago() and now() count back from the end of the query's timespan
HOURS = 6  # of demo telemetry before END, every table the demo writes (page views and browser timings: none)
SPAN = (END - timedelta(days=1), END)

# the corpus queries that run on the local store (77 of 82 on 2026-12-03); the others must fail as described above
MUST_PASS = frozenset({
    "learn-apprequests-response-time-trend", "learn-apprequests-request-count-trend",
    "learn-apprequests-response-time-buckets", "learn-apprequests-operations-performance",
    "learn-apprequests-top-countries", "learn-apprequests-failed-top10", "learn-apprequests-failed-operations",
    "learn-apprequests-exceptions-causing-failures", "learn-appdependencies-failing", "learn-appexceptions-top-browser",
    "learn-apppageviews-trend", "learn-apppageviews-slowest",
    "metrics-availability-percentage", "metrics-availability-duration", "metrics-availability-count",
    "metrics-browser-page-load", "metrics-browser-processing", "metrics-browser-network", "metrics-browser-receive",
    "metrics-browser-send", "metrics-exceptions-browser", "metrics-dependencies-failed", "metrics-exceptions-count",
    "metrics-requests-failed", "metrics-exceptions-server", "metrics-counter-available-memory",
    "metrics-counter-exception-rate", "metrics-counter-request-execution-time", "metrics-counter-requests-per-second",
    "metrics-counter-requests-in-queue", "metrics-counter-process-cpu", "metrics-counter-process-io",
    "metrics-counter-private-bytes", "metrics-counter-processor-time", "metrics-dependencies-count",
    "metrics-dependencies-duration", "metrics-requests-count", "metrics-requests-duration",
    "metrics-pageviews-duration",
    "metrics-pageviews-count", "metrics-sessions-count", "metrics-traces-count", "metrics-users-count",
    "metrics-users-authenticated",
    "l2c-slow-requests", "l2c-single-user-history", "l2c-requests-per-minute", "l2c-traffic-by-endpoint",
    "wb-failure-insights-operations", "wb-failure-insights-top-codes", "wb-failure-insights-top-exceptions",
    "wb-failure-insights-top-dependencies", "wb-perfcounter-machines", "wb-perfcounter-instances",
    "wb-perfcounter-by-machine", "wb-apdex-threshold",
    "aca-latency-by-status-code", "aca-slowest-requests-by-path", "aca-failed-requests",
    "aca-link-exceptions-to-operations",
    "osz-failed-last-day", "osz-top3-failed-codes", "osz-failed-operations-users", "osz-requests-yesterday",
    "osz-hourly-today", "osz-percentiles-overall", "osz-count-not-startswith", "osz-top5-operations",
    "osz-count-by-city", "osz-result-code-500", "osz-available-memory-mb", "osz-io-rate-chart",
    # run since the layer for the constructs duckdb-kql lacks (services/telemetry/constructs.py)
    "wb-failure-insights-failed-series", "wb-failure-insights-all-series", "wb-perfcounter-moving-average",
    "wb-perfcounter-breakouts", "wb-apdex-by-dimension",
})  # fmt: skip

# failing queries whose message says what to do but gives no line and column: gaps in services/telemetry to close
UNPOSITIONED: dict[str, str] = {}  # none: every failing query's message names its place

RAW_ENGINE_TEXT = re.compile(r"Binder Error|Catalog Error|Conversion Error|Parser Error")
SAYS_WHERE = re.compile(r"line \d+, column \d+|has no column|no table")
RENDER = re.compile(r"^\s*\|\s*render\b.*$", re.MULTILINE)


def load_corpus() -> list[dict[str, Any]]:
    """The corpus entries, in file order."""
    entries: list[dict[str, Any]] = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
    return entries


def runnable(entry: dict[str, Any]) -> str:
    """The query as it runs: a workbook's {Parameter} placeholders replaced by the values the workbook puts there."""
    text: str = entry["query"]
    for name, value in (entry.get("workbook_parameters") or {}).items():
        text = text.replace("{" + name + "}", str(value))
    return text


CORPUS = load_corpus()
BY_ID = {e["id"]: e for e in CORPUS}


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six hours of demo telemetry (about 16,000 requests) in a store of its own, written once per run (~1 s)."""
    root = tmp_path_factory.mktemp("kql-corpus") / "telemetry"
    tables = generate(END - timedelta(hours=HOURS), END, rng=day_rng(7, END), rate_per_minute=30)
    for table, data in tables.items():
        if data.num_rows:
            write_table(root, table, data, name="corpus")
    return root


@pytest.fixture(scope="session")
def source(store: Path) -> LocalTelemetrySource:
    return LocalTelemetrySource(store)


def run(source: LocalTelemetrySource, entry_id: str, text: str | None = None) -> QueryResult:
    entry = BY_ID[entry_id]
    return source.query(text if text is not None else runnable(entry), timespan=SPAN, name=entry_id)


def test_the_corpus_holds_real_sourced_queries_of_both_naming_schemes() -> None:
    assert len(CORPUS) >= 60
    assert len(BY_ID) == len(CORPUS), "ids must be unique"
    for e in CORPUS:
        assert set(e) >= {"id", "title", "source", "query", "features"}, e.get("id")
        assert e["source"].startswith("https://"), e["id"]
        assert e["features"] and isinstance(e["features"], list), e["id"]
    texts = "\n".join(e["query"] for e in CORPUS)
    assert re.search(r"\bAppRequests\b", texts) and re.search(r"\bTimeGenerated\b", texts)  # workspace names
    assert re.search(r"^requests\b", texts, re.MULTILINE) and re.search(r"\btimestamp\b", texts)  # classic names
    assert set(BY_ID) >= MUST_PASS | set(UNPOSITIONED)
    assert not MUST_PASS & set(UNPOSITIONED)


@pytest.mark.parametrize("entry_id", [e["id"] for e in CORPUS])
def test_each_query_runs_or_says_where_it_cannot(source: LocalTelemetrySource, entry_id: str) -> None:
    if entry_id in MUST_PASS:
        run(source, entry_id)
        return
    try:
        run(source, entry_id)
    except QueryError as exc:
        message = str(exc)
        assert not RAW_ENGINE_TEXT.search(message), message
        if entry_id not in UNPOSITIONED:
            assert SAYS_WHERE.search(message), message
    # a query outside MUST_PASS that runs is news, not a failure: the constructs land one by one (add it there)


def test_render_is_ignored(source: LocalTelemetrySource) -> None:
    # with or without its render line, a query gives the same columns and rows
    rendered = [i for i in sorted(MUST_PASS) if RENDER.search(BY_ID[i]["query"])]
    assert len(rendered) >= 20
    for entry_id in rendered[:5]:
        with_render = run(source, entry_id).frame
        without = run(source, entry_id, RENDER.sub("", runnable(BY_ID[entry_id]))).frame
        assert list(with_render.columns) == list(without.columns)
        assert rows(with_render) == rows(without)  # without order by, the rows come in any order


def test_render_is_never_why_a_query_fails(source: LocalTelemetrySource) -> None:
    # a failing query with a render line fails as well without it
    for entry_id in sorted(set(BY_ID) - MUST_PASS):
        text = runnable(BY_ID[entry_id])
        if not RENDER.search(text):
            continue
        try:
            run(source, entry_id)
        except QueryError:
            with pytest.raises(QueryError):
                run(source, entry_id, RENDER.sub("", text))


# --- the same figures in plain DuckDB SQL over the store's Parquet files


def sql(store: Path, text: str) -> pd.DataFrame:
    """`text` with {Table} read from that table's Parquet files, in UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    for table in re.findall(r"\{(\w+)\}", text):
        files = ", ".join(f"'{f}'" for f in table_files(store, table))
        text = text.replace("{" + table + "}", f"read_parquet([{files}], union_by_name=true)")
    return con.sql(text).df()


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as sorted tuples: times as UTC ISO text, numbers rounded to 6 places."""

    def cell(v: Any) -> Any:
        if isinstance(v, pd.Timestamp | datetime):
            ts = pd.Timestamp(v)
            return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).isoformat()
        if isinstance(v, float | int) and not isinstance(v, bool):
            return None if math.isnan(v) else round(float(v), 6)
        return v

    return sorted((tuple(cell(v) for v in r) for r in frame.itertuples(index=False)), key=repr)


def test_request_count_by_bin_matches_sql(source: LocalTelemetrySource, store: Path) -> None:
    # classic names: requests | summarize sum(itemCount) by bin(timestamp, 5m)
    kql = run(source, "metrics-requests-count").frame
    expected = sql(store, "SELECT time_bucket(INTERVAL 5 MINUTE, TimeGenerated) AS t, sum(ItemCount) "
                          "FROM {AppRequests} GROUP BY t")  # fmt: skip
    assert len(kql) == HOURS * 12
    assert rows(kql) == rows(expected)


def test_exception_count_by_bin_matches_sql(source: LocalTelemetrySource, store: Path) -> None:
    kql = run(source, "metrics-exceptions-count").frame
    expected = sql(store, "SELECT time_bucket(INTERVAL 5 MINUTE, TimeGenerated) AS t, sum(ItemCount) "
                          "FROM {AppExceptions} GROUP BY t")  # fmt: skip
    assert len(kql) > 0
    assert rows(kql) == rows(expected)


def test_operations_performance_matches_sql(source: LocalTelemetrySource, store: Path) -> None:
    # percentiles(DurationMs, 50, 95, 99) by name: Kusto's percentile is a value of the set (nearest rank), so
    # quantile_disc, not the interpolating quantile_cont
    kql = run(source, "learn-apprequests-operations-performance").frame
    expected = sql(
        store,
        """
        SELECT OperationName, _ResourceId, sum(ItemCount), avg(DurationMs), quantile_disc(DurationMs, 0.5),
               quantile_disc(DurationMs, 0.95), quantile_disc(DurationMs, 0.99)
        FROM {AppRequests} GROUP BY OperationName, _ResourceId""",
    )
    assert len(kql) > 3
    assert rows(kql) == rows(expected)


def test_response_time_buckets_match_sql_in_order(source: LocalTelemetrySource, store: Path) -> None:
    # ordered by the average duration, which project-away then drops
    kql = run(source, "learn-apprequests-response-time-buckets").frame
    expected = sql(store, "SELECT PerformanceBucket, sum(ItemCount) FROM {AppRequests} "
                          "GROUP BY PerformanceBucket ORDER BY avg(DurationMs)")  # fmt: skip
    assert list(kql.columns) == ["PerformanceBucket", "requestCount"]
    assert kql["PerformanceBucket"].tolist() == expected["PerformanceBucket"].tolist()
    assert kql["requestCount"].astype(float).tolist() == expected.iloc[:, 1].astype(float).tolist()


def test_failing_dependencies_match_sql(source: LocalTelemetrySource, store: Path) -> None:
    kql = run(source, "learn-appdependencies-failing").frame
    expected = sql(store, "SELECT DependencyType, sum(ItemCount) AS n FROM {AppDependencies} WHERE NOT Success "
                          "GROUP BY DependencyType ORDER BY n DESC LIMIT 5")  # fmt: skip
    assert len(kql) > 0
    assert rows(kql) == rows(expected)


def test_availability_percentage_by_location_matches_sql(source: LocalTelemetrySource, store: Path) -> None:
    # classic names: sum(todouble(success == 1) * 100) / count() by bin(timestamp, 5m), location
    kql = run(source, "metrics-availability-percentage").frame
    expected = sql(
        store,
        """
        SELECT time_bucket(INTERVAL 5 MINUTE, TimeGenerated) AS t, Location,
               sum(CASE WHEN Success THEN 100.0 ELSE 0.0 END) / count(*)
        FROM {AppAvailabilityResults} GROUP BY t, Location""",
    )
    assert len(kql) > 0
    assert rows(kql) == rows(expected)


def test_failed_request_count_and_overall_percentiles_match_sql(source: LocalTelemetrySource, store: Path) -> None:
    # sumif(ItemCount, Success == false) over the day; percentiles(DurationMs, 50, 95, 99) with no by
    failed = run(source, "osz-failed-last-day").frame
    overall = run(source, "osz-percentiles-overall").frame
    expected = sql(
        store,
        """
        SELECT sum(ItemCount) FILTER (WHERE NOT Success), quantile_disc(DurationMs, 0.5),
               quantile_disc(DurationMs, 0.95), quantile_disc(DurationMs, 0.99)
        FROM {AppRequests}""",
    )
    assert rows(failed) == rows(expected.iloc[:, :1])
    assert rows(overall) == rows(expected.iloc[:, 1:])
    total = sql(store, "SELECT sum(ItemCount) FROM {AppRequests}").to_numpy(dtype=float)[0][0]
    assert 0 < failed.to_numpy(dtype=float)[0][0] < total

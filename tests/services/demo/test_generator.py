"""The demo telemetry generator: determinism, schemas, joins, the injected incidents and live ticks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from services.demo import (
    BRUTE_FORCE,
    DOPA_TIMEOUTS,
    INCIDENTS,
    REGRESSION,
    generate,
    incident_windows,
    live,
    seed,
)
from services.demo.generator import TABLES_WRITTEN as TABLES
from services.demo.population import ATTACKER_IP, population
from services.telemetry.schema import table_schema
from services.telemetry.store import table_files

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DOPA_VERIFY = "POST /api/identity/dopa-verify"


def read(root: Path, table: str) -> pa.Table:
    files = table_files(root, table)
    return pa.concat_tables([pq.read_table(f) for f in files]).sort_by(
        [("TimeGenerated", "ascending"), ("OperationId", "ascending")]
    )


def src(root: Path, table: str) -> str:
    return f"read_parquet('{root}/{table}/*.parquet')"


def one(sql: str) -> tuple:
    rows = duckdb.sql(sql).fetchall()
    assert len(rows) == 1
    return rows[0]


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """Seven days at a third of the default rate: every incident is inside."""
    root = tmp_path_factory.mktemp("week")
    return root, seed(root, days=7, seed=7, end=END, rate_per_minute=20.0)


def window(name: str) -> tuple[datetime, datetime]:
    (inc,) = [i for i in incident_windows(END, 7) if i.name == name]
    return inc.start, inc.end


def ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def test_same_arguments_give_the_same_rows_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "other"
    counts = seed(a, days=2, seed=11, end=END, rate_per_minute=5.0)
    assert seed(b, days=2, seed=11, end=END, rate_per_minute=5.0) == counts
    seed(other, days=2, seed=12, end=END, rate_per_minute=5.0)
    for table in TABLES:
        assert read(a, table).equals(read(b, table)), table
    assert not read(a, "AppRequests").equals(read(other, "AppRequests"))
    assert all(counts[t] > 0 for t in TABLES), counts


def test_seeding_writes_one_file_per_day_and_reseeding_replaces_it(tmp_path: Path) -> None:
    first = seed(tmp_path, days=2, end=END, rate_per_minute=5.0)
    names = sorted(f.name for f in table_files(tmp_path, "AppRequests"))
    assert names == ["seed-20261118.parquet", "seed-20261119.parquet", "seed-20261120.parquet"]
    assert seed(tmp_path, days=2, end=END, rate_per_minute=5.0) == first
    assert sum(pq.read_metadata(f).num_rows for f in table_files(tmp_path, "AppRequests")) == first["AppRequests"]


def test_a_day_does_not_depend_on_when_it_was_seeded(tmp_path: Path) -> None:
    # 2026-11-17 is a whole day without incidents in both periods
    seed(tmp_path / "a", days=4, end=END, rate_per_minute=5.0)
    seed(tmp_path / "b", days=5, end=END + timedelta(days=1), rate_per_minute=5.0)
    for table in TABLES:
        day = [pq.read_table(tmp_path / r / table / "seed-20261117.parquet") for r in ("a", "b")]
        assert day[0].num_rows > 0 and day[0].equals(day[1]), table


def test_every_table_has_the_store_schema(week: tuple[Path, dict[str, int]]) -> None:
    root, counts = week
    for table in TABLES:
        assert counts[table] > 0
        for f in table_files(root, table):
            assert pq.read_schema(f) == table_schema(table), f
        assert one(f"select count(*) from {src(root, table)} where Type <> '{table}'")[0] == 0
        if "ItemCount" not in table_schema(table).names:  # a performance counter sample stands for itself
            continue
        assert one(f"select count(*) from {src(root, table)} where ItemCount < 1")[0] == 0
        if table != "AppMetrics":  # a metric row's ItemCount is the number of values aggregated
            assert one(f"select count(*) from {src(root, table)} where ItemCount <> 1")[0] == 0


def test_rows_stay_inside_the_period_and_requests_are_consistent(week: tuple[Path, dict[str, int]]) -> None:
    root, counts = week
    for table in TABLES:
        lo, hi = one(f"select min(TimeGenerated), max(TimeGenerated) from {src(root, table)}")
        assert END - timedelta(days=7) <= lo and hi < END, table
    req = src(root, "AppRequests")
    assert one(f"select count(*) from {req}")[0] == counts["AppRequests"]
    assert one(f"select count(*) from {req} where Success <> (ResultCode::int < 400)")[0] == 0
    assert one(f"select count(*) from {req} where ParentId <> OperationId or Name <> OperationName")[0] == 0
    assert one(f"select count(distinct Id), count(distinct OperationId), count(*) from {req}") == (
        (counts["AppRequests"],) * 3
    )
    assert one(f"select count(*) from {req} where length(Id) <> 16 or length(OperationId) <> 32")[0] == 0
    base = "https://mana-api.azurewebsites.net/api/"
    assert one(f"select count(*) from {req} where AppRoleName = 'mana' and not starts_with(Url, '{base}')")[0] == 0
    assert one(f"select count(*) from {req} where json_valid(Properties) = false")[0] == 0
    share = one(f"select avg((ClientCountryOrRegion = 'Thailand')::int) from {req} where AppRoleName = 'mana'")[0]
    assert share > 0.9
    roles = {r[0] for r in duckdb.sql(f"select distinct AppRoleName from {req}").fetchall()}
    assert roles == {"mana", "mana-worker"}


def test_children_join_their_requests(week: tuple[Path, dict[str, int]]) -> None:
    root, _ = week
    req = src(root, "AppRequests")
    for table in ("AppDependencies", "AppExceptions", "AppTraces", "AppEvents"):
        orphans = one(
            f"select count(*) from {src(root, table)} c anti join {req} r "
            "on c.OperationId = r.OperationId and c.ParentId = r.Id"
        )[0]
        assert orphans == 0, table
    assert one(f"select count(*) from {src(root, 'AppDependencies')} where OperationId is null")[0] == 0
    # every DOPA verification calls DOPA once (unless it was rejected as malformed)
    calls = one(
        f"select count(*) from {req} r join {src(root, 'AppDependencies')} d on d.ParentId = r.Id "
        f"where r.Name = '{DOPA_VERIFY}' and d.Target = 'api.dopa.go.th'"
    )[0]
    verifications = one(f"select count(*) from {req} where Name = '{DOPA_VERIFY}' and ResultCode <> '400'")[0]
    assert calls == verifications > 0
    # every unhandled exception belongs to a failed request
    assert (
        one(
            f"select count(*) from {src(root, 'AppExceptions')} e join {req} r on e.ParentId = r.Id "
            "where e.HandledAt = 'Unhandled' and r.Success"
        )[0]
        == 0
    )


def test_the_dopa_outage_fails_most_dopa_calls_only_in_its_window(week: tuple[Path, dict[str, int]]) -> None:
    root, _ = week
    start, end = window(DOPA_TIMEOUTS)
    dep = src(root, "AppDependencies")
    inside = f"TimeGenerated >= {ts(start)} and TimeGenerated < {ts(end)}"
    failed = "avg((not Success)::int)"
    rate_in, n_in = one(f"select {failed}, count(*) from {dep} where Target = 'api.dopa.go.th' and {inside}")
    rate_out = one(f"select {failed} from {dep} where Target = 'api.dopa.go.th' and not ({inside})")[0]
    assert n_in >= 10 and rate_in > 0.5 and rate_out < 0.05, (n_in, rate_in, rate_out)
    timed_out = f"Target = 'api.dopa.go.th' and ResultCode = 'Timeout' and {inside}"
    assert one(f"select min(DurationMs) from {dep} where {timed_out}")[0] >= 30_000
    exc = src(root, "AppExceptions")
    timeouts = one(f"select count(*) from {exc} where ExceptionType = 'System.TimeoutException' and {inside}")[0]
    assert timeouts > 0.5 * n_in
    failures = f"select distinct ResultCode from {src(root, 'AppRequests')} where not Success and {inside}"
    codes = {r[0] for r in duckdb.sql(f"{failures} and Name = '{DOPA_VERIFY}'").fetchall()}
    assert {"504", "500"} <= codes


def test_the_brute_force_hits_one_account_from_one_ip(week: tuple[Path, dict[str, int]]) -> None:
    root, _ = week
    start, end = window(BRUTE_FORCE)
    account, failures, ips = one(
        f"select json_extract_string(Properties, '$.account') a, count(*) n, count(distinct ClientIP) "
        f"from {src(root, 'AppEvents')} where Name = 'LoginFailed' "
        f"and TimeGenerated >= {ts(start)} and TimeGenerated < {ts(end)} group by a order by n desc limit 1"
    )
    assert failures > 100 and ips == 1
    assert account == population(7).target_account
    ip = one(
        f"select ClientIP from {src(root, 'AppRequests')} where ResultCode = '401' "
        f"and TimeGenerated >= {ts(start)} and TimeGenerated < {ts(end)} "
        "group by ClientIP order by count(*) desc limit 1"
    )[0]
    assert ip == ATTACKER_IP
    before = one(
        f"select count(*) from {src(root, 'AppEvents')} where Name = 'LoginFailed' "
        f"and json_extract_string(Properties, '$.account') = '{account}' and TimeGenerated < {ts(start)}"
    )[0]
    assert before < 10


def test_the_regression_slows_shop_lookups_until_the_fix(week: tuple[Path, dict[str, int]]) -> None:
    root, _ = week
    start, end = window(REGRESSION)
    req = src(root, "AppRequests")

    def p95(lo: datetime, hi: datetime) -> float:
        where = f"Name = 'GET /api/shops/{{id}}' and TimeGenerated >= {ts(lo)} and TimeGenerated < {ts(hi)}"
        return float(one(f"select quantile_cont(DurationMs, 0.95) from {req} where {where}")[0])

    during, day_before = p95(start, end), p95(start - timedelta(days=1), start)
    assert during > 2 * day_before, (during, day_before)
    assert p95(end + timedelta(hours=1), end + timedelta(days=1)) < 1.3 * day_before
    versions = duckdb.sql(
        f"select AppVersion, min(TimeGenerated) from {req} where AppRoleName = 'mana' group by 1 order by 2"
    ).fetchall()
    assert [v for v, _ in versions] == ["2026.11.3", "2026.11.4", "2026.11.5"]
    assert start <= versions[1][1] < start + timedelta(minutes=10)


def test_incident_windows_are_fixed_offsets_back_from_the_end() -> None:
    week = incident_windows(END, 7)
    assert [i.name for i in week] == [REGRESSION, DOPA_TIMEOUTS, BRUTE_FORCE]
    for name, start, end, description in week:
        assert END - timedelta(days=7) <= start < end <= END and description
        spec = next(s for s in INCIDENTS if s.name == name)
        assert start == END - spec.before_end
    assert [i.name for i in incident_windows(END, 2)] == [BRUTE_FORCE]
    assert incident_windows(END + timedelta(days=1), 30)[0].start == week[0].start + timedelta(days=1)


def test_generate_keeps_every_row_inside_the_interval() -> None:
    start = datetime(2026, 11, 20, 12, 0, 7, tzinfo=UTC)
    end = start + timedelta(seconds=50)
    out = generate(start, end, rng=np.random.default_rng(3), rate_per_minute=600.0)
    assert set(out) == set(TABLES)
    for table, data in out.items():
        assert data.schema == table_schema(table)
        if data.num_rows:
            lo, hi = pc.min_max(data["TimeGenerated"]).values()
            lo, hi = lo.as_py(), hi.as_py()
            assert start <= lo and hi < end, table
    assert out["AppRequests"].num_rows > 100


def test_live_appends_the_elapsed_intervals(tmp_path: Path) -> None:
    clock = iter([END, END + timedelta(seconds=5), END + timedelta(seconds=10)])
    written = live(tmp_path, interval_s=0.01, seed=1, iterations=3, now_fn=lambda: next(clock), rate_per_minute=1200.0)
    files = table_files(tmp_path, "AppRequests")
    assert len(files) >= 2 and [f.name for f in files] == sorted(f.name for f in files)
    lo, hi, n = one(f"select min(TimeGenerated), max(TimeGenerated), count(*) from {src(tmp_path, 'AppRequests')}")
    assert END - timedelta(seconds=0.01) <= lo and hi < END + timedelta(seconds=10)
    assert n > 100 and written == sum(pq.read_metadata(f).num_rows for t in TABLES for f in table_files(tmp_path, t))


def test_live_stops_when_told(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    assert live(tmp_path, interval_s=60.0, stop=stop) == 0
    assert table_files(tmp_path, "AppRequests") == []


def test_live_with_a_fixed_clock_writes_only_the_first_interval(tmp_path: Path) -> None:
    written = live(tmp_path, interval_s=0.5, seed=2, iterations=2, now_fn=lambda: END, rate_per_minute=12_000.0)
    assert written > 0
    for table in TABLES:
        if table_files(tmp_path, table):
            lo, hi = one(f"select min(TimeGenerated), max(TimeGenerated) from {src(tmp_path, table)}")
            assert END - timedelta(seconds=0.5) <= lo and hi < END, table
    again = tmp_path / "again"
    assert live(again, interval_s=0.5, seed=2, iterations=1, now_fn=lambda: END, rate_per_minute=12_000.0) == written
    assert read(again, "AppRequests").equals(read(tmp_path, "AppRequests"))

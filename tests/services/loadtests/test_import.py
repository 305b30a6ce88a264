"""Importing runs on SQLite and PostgreSQL: figures stored, all or nothing, permissions and audit."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.loadtests import service, storage
from services.loadtests.models import LoadTestCheck, LoadTestEndpoint, LoadTestRun, LoadTestThreshold
from services.loadtests.schemas import ImportOptions, InputFile, parse_import_options
from tests.services.loadtests.conftest import DEV, K6, import_files, k6_file, stored_files, summary_export

ADMIN = Actor("admin", "admin")


def _counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (LoadTestRun, LoadTestThreshold, LoadTestCheck, LoadTestEndpoint)
        }


def test_summary_and_ndjson_import_as_one_run(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "summary.json", "out.ndjson.gz", label="ramp")
    k6 = summary_export()["metrics"]
    assert (r.service, r.label, r.requests, r.failed_requests) == ("mana", "ramp", 60, 5)
    assert r.failure_rate == pytest.approx(k6["http_req_failed"]["value"])
    assert r.rps == pytest.approx(k6["http_reqs"]["rate"])
    for key, k6_key in (("avg", "avg"), ("med", "med"), ("p90", "p(90)"), ("p95", "p(95)"), ("max", "max")):
        assert r.duration_ms[key] == pytest.approx(k6["http_req_duration"][k6_key], rel=1e-12)
    assert r.duration_ms["p99"] is not None  # from the raw points
    assert len(r.thresholds) == 6 and all(t["source"] == "k6" for t in r.thresholds)
    assert r.thresholds_ok is False
    assert {e["name"] for e in r.endpoints} == {"GET /api/orders", "GET /api/shops", "POST /api/cart"}
    assert r.points_file and stored_files(loadtest_dir) == [r.points_file]
    with session_scope(engine) as s:
        rec = audit.list_records(s, actor=ADMIN, entity="loadtest_run")[0]
        assert (rec.action, rec.actor, rec.entity_id) == ("loadtest.import", "dev", str(r.id))


def test_a_summary_alone_has_no_invented_figures(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "summary.json")
    assert r.duration_ms["p99"] is None and r.endpoints == [] and r.peak_rps is None
    assert r.points_file is None and r.started_at is None and stored_files(loadtest_dir) == []
    assert r.duration_ms["p95"] == pytest.approx(summary_export()["metrics"]["http_req_duration"]["p(95)"])


def test_csv_alone_has_no_thresholds_but_every_figure(engine: Engine) -> None:
    r = import_files(engine, "out.csv.gz")
    assert r.thresholds == [] and r.requests == 60 and len(r.checks) == 2 and len(r.endpoints) == 3


def test_two_summaries_are_refused(engine: Engine, loadtest_dir: Path) -> None:
    with pytest.raises(InvalidInput, match="both summaries"):
        import_files(engine, "summary.json", "handle_summary.json")
    assert sum(_counts(engine).values()) == 0


def _broken(tmp_path: Path) -> dict[str, bytes]:
    ndjson = (K6 / "out.ndjson").read_bytes()
    lines = ndjson.splitlines(keepends=True)
    csv = (K6 / "out.csv").read_bytes()
    return {
        "truncated.ndjson": b"".join(lines[:200]) + lines[200][:40],
        "garbage-line.ndjson": b"".join([*lines[:99], b'{"metric": oops\n', *lines[100:]]),
        "foreign-line.ndjson": b"".join([*lines[:49], b'{"level":"info","msg":"hi"}\n', *lines[50:]]),
        "null-value.ndjson": b"".join(
            [
                *lines[:9],
                b'{"metric":"http_reqs","type":"Point","data":{"time":"2026-11-28T05:46:34Z","value":null}}\n',
                *lines[10:],
            ]
        ),
        "bad-time.ndjson": b"".join(
            [*lines[:9], b'{"metric":"http_reqs","type":"Point","data":{"time":"yesterday","value":1}}\n', *lines[10:]]
        ),
        "truncated.csv": csv[: len(csv) // 2],
        "not-k6.json": b'{"status": "ok", "items": [1, 2, 3]}',
        "fake.ndjson.gz": b"this is not gzip\n",
        "empty.ndjson": b"",
        "truncated.ndjson.gz": gzip.compress(ndjson)[:4000],
        "late-truncated.ndjson.gz": gzip.compress(ndjson * 40)[:-200],
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.ndjson", r"broken at line 201: the line is cut short"),
        ("garbage-line.ndjson", r"broken at line 100: invalid JSON"),
        ("foreign-line.ndjson", r"broken at line 50: not a k6 line"),
        ("null-value.ndjson", r"broken at line 10: data.value is None, not a number"),
        ("bad-time.ndjson", r"broken at line 10: data.time 'yesterday' is not an RFC 3339 time"),
        ("truncated.csv", r"k6 CSV \(--out csv\) broken at line \d+: \d+ fields instead of 19"),
        ("not-k6.json", r"not a k6 summary"),
        ("fake.ndjson.gz", r"the name ends in .gz but the content is not gzip"),
        ("empty.ndjson", r"the file is empty"),
        ("truncated.ndjson.gz", r"broken at line \d+: the gzip data is corrupt or ends early"),
        ("late-truncated.ndjson.gz", r"broken at line \d+: the gzip data is corrupt or ends early"),
    ],
)
def test_bad_files_say_what_and_where_and_store_nothing(
    engine: Engine, loadtest_dir: Path, tmp_path: Path, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(_broken(tmp_path)[name])
    with session_scope(engine) as s, pytest.raises(InvalidInput, match=message):
        service.import_run(
            s,
            actor=DEV,
            files=[k6_file("summary.json"), InputFile(path, name)],
            options=ImportOptions(service="mana"),
            root=loadtest_dir,
        )
    assert sum(_counts(engine).values()) == 0
    assert stored_files(loadtest_dir) == []


def test_a_file_over_the_limit_is_refused_before_reading(engine: Engine, loadtest_dir: Path) -> None:
    with session_scope(engine) as s, pytest.raises(InvalidInput, match="over the 0 MB import limit"):
        service.import_run(
            s,
            actor=DEV,
            files=[k6_file("out.ndjson")],
            options=ImportOptions(service="m"),
            root=loadtest_dir,
            max_bytes=10,
        )
    assert sum(_counts(engine).values()) == 0


def test_a_failed_commit_leaves_no_points_file(sqlite_engine: Engine, loadtest_dir: Path) -> None:
    with pytest.raises(RuntimeError), session_scope(sqlite_engine) as s:
        service.import_run(
            s, actor=DEV, files=[k6_file("out.ndjson")], options=ImportOptions(service="m"), root=loadtest_dir
        )
        assert len(stored_files(loadtest_dir)) == 1
        raise RuntimeError("the caller fails after the import")
    assert stored_files(loadtest_dir) == [] and sum(_counts(sqlite_engine).values()) == 0


def test_importing_needs_the_developer_role(engine: Engine, loadtest_dir: Path) -> None:
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="needs the developer role"):
        service.import_run(
            s,
            actor=Actor("v", "viewer"),
            files=[k6_file("summary.json")],
            options=ImportOptions(service="m"),
            root=loadtest_dir,
        )


def test_delete_needs_a_lead_and_removes_rows_and_points(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "summary.json", "out.ndjson")
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        service.delete_run(s, actor=DEV, run_id=r.id, root=loadtest_dir)
    with session_scope(engine) as s:
        service.delete_run(s, actor=Actor("lead", "lead"), run_id=r.id, root=loadtest_dir)
    assert sum(_counts(engine).values()) == 0 and stored_files(loadtest_dir) == []
    with session_scope(engine) as s:
        assert audit.list_records(s, actor=ADMIN, entity="loadtest_run")[0].action == "loadtest.delete"
        with pytest.raises(NotFound):
            service.run_report(s, actor=DEV, run_id=r.id)


def test_list_by_service_newest_first(engine: Engine) -> None:
    a = import_files(engine, "summary.json", service_name="mana")
    b = import_files(engine, "handle_summary.json", service_name="mana")
    import_files(engine, "summary.json", service_name="other")
    with session_scope(engine) as s:
        assert [r.id for r in service.reports(s, actor=DEV, service="mana")] == [b.id, a.id]
        assert len(service.list_runs(s, actor=DEV)) == 3


def test_series_and_counts_come_from_the_points(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "out.ndjson")
    path = storage.points_path(loadtest_dir, r.points_file)
    frame = storage.series(path, bucket_s=1)
    assert frame["requests"].sum() == 60 and frame["failures"].sum() == 5
    assert storage.failure_counts(path) == (5, 60)
    assert storage.failure_counts(path, name="GET /api/orders") == (5, 20)
    assert storage.latency_counts(path, threshold_ms=1e9) == (60, 60)


def test_import_options_are_validated() -> None:
    with pytest.raises(InvalidInput, match="service: must not be empty"):
        parse_import_options({"service": " "})


def _ramp_ndjson(path: Path, per_second: list[int]) -> Path:
    """A k6 NDJSON of http_reqs points: per_second[i] requests in second i of the run (two runs of points a second)."""
    start = datetime(2026, 11, 28, 5, 46, 34, 500_000, tzinfo=UTC)  # not on a minute: minutes count from the start
    lines = ['{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default"},"metric":"http_reqs"}']
    for second, n in enumerate(per_second):
        for i in range(n):
            at = (start + timedelta(seconds=second + i / max(n, 1))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            point = {
                "metric": "http_reqs",
                "type": "Point",
                "data": {"time": at, "value": 1, "tags": {"name": "GET /"}},
            }
            lines.append(json.dumps(point))
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(engine: Engine, path: Path) -> float | None:
    with session_scope(engine) as s:
        run = service.import_run(
            s,
            actor=DEV,
            files=[InputFile(path, path.name)],
            options=ImportOptions(service="mana"),
            root=get_settings().loadtests.dir,
        )
        return run.peak_rps


def test_peak_rps_is_the_busiest_whole_minute_like_production(sqlite_engine: Engine, tmp_path: Path) -> None:
    # 150 s: a first minute at 2/s (120), a second at 1/s with a 10 s spike of 20/s (50 + 200 = 250), then 30 s at 5/s
    per_second = [2] * 60 + [1] * 25 + [20] * 10 + [1] * 25 + [5] * 30
    peak = _import(sqlite_engine, _ramp_ndjson(tmp_path / "ramp.ndjson", per_second))
    # the busiest whole minute (the second, 250 requests) / 60; not the busiest second (20), not the partial last 30 s
    assert peak == pytest.approx(250 / 60)


def test_a_run_shorter_than_a_minute_peaks_at_its_average(sqlite_engine: Engine, tmp_path: Path) -> None:
    peak = _import(sqlite_engine, _ramp_ndjson(tmp_path / "short.ndjson", [3] * 20 + [9] * 10))
    # 150 requests between the first point (0 s) and the last (29.9 s)
    assert peak == pytest.approx(150 / (29 + 8 / 9))

"""The CLEF importer on Serilog.Formatting.Compact output: exact rows, bad lines, templates, the CLI and KQL on top."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services import audit, cli
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput, PermissionDenied
from services.telemetry.clef import parse_exception, parse_lines
from services.telemetry.clef_import import import_files, import_sources
from services.telemetry.clef_template import render
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import table_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clef"
ADMIN = Actor("admin", "admin")
TR, SP = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
COLUMNS = ("TimeGenerated", "AppRoleName", "AppRoleInstance", "OperationId", "ParentId", "SeverityLevel", "Message")


@pytest.fixture
def db(sqlite_engine: Engine) -> Iterator[Session]:
    """A session on the test's migrated database: an import writes its audit record there."""
    with session_scope(sqlite_engine) as s:
        yield s


def _t(second: int, micro: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, 1, 12, minute, second, micro, tzinfo=UTC)


def _rows(root: Path, table: str) -> list[dict]:
    files = table_files(root, table)
    assert len(files) == 1  # one file per table per import
    return pq.read_table(files[0]).to_pylist()


def test_compact_and_rendered_files_become_exact_rows(db: Session, tmp_path: Path) -> None:
    report = import_files(
        db, tmp_path, [FIXTURES / "compact.clef", FIXTURES / "rendered.clef"], actor=ADMIN, service="mana"
    )
    assert (report.traces, report.exceptions, report.lines, report.bad_count) == (7, 3, 10, 0)
    rec = audit.list_records(db, actor=ADMIN)[0]
    assert (rec.action, rec.actor, rec.entity) == ("telemetry.import_clef", "admin", "telemetry_store")
    assert rec.after is not None and (rec.after["traces"], rec.after["exceptions"], rec.after["skipped"]) == (7, 3, 0)
    traces = _rows(tmp_path, "AppTraces")
    assert [tuple(r[c] for c in COLUMNS) for r in traces] == [
        (_t(0, 123456), "mana", None, TR, SP, 1, 'Verified "1-2345" in 12.3 ms'),
        (_t(1), "mana-identity", "mana-7d9f-abc12", None, None, 1, 'ยืนยันตัวตนสำเร็จ สำหรับ "somchai@example.co.th"'),
        (_t(2, 500000), "mana", None, None, None, 0, 'Cache miss for "shop:42"'),
        (_t(3), "mana", None, TR, "b7ad6b7169203331", 2, 'Slow query on "dbo.Shops" took   812.40 ms'),
        (
            _t(4),
            "mana",
            None,
            None,
            None,
            1,
            'Order OrderPlaced { Id: 1042, Total: 1250.5, Items: ["A", "B"] } placed by "Mana.Accounts.User" '
            "(2 items, {batch})",
        ),
        (_t(7), "mana", None, None, None, 0, "Heartbeat"),
        (_t(0, minute=1), "mana", None, TR, SP, 1, 'Verified "1-2345" in 12.3 ms'),
    ]
    assert {r["Type"] for r in traces} == {"AppTraces"} and {r["ItemCount"] for r in traces} == {1}
    props = [json.loads(r["Properties"]) for r in traces]
    assert props[0] == {
        "CitizenId": "1-2345",
        "Elapsed": 12.3456,
        "SourceContext": "Mana.Identity.DopaClient",
        "MessageTemplate": "Verified {CitizenId} in {Elapsed:0.0} ms",
    }
    # @@timestamp and @@version are properties literally named @timestamp and @version
    assert props[4]["@timestamp"] == "client-clock" and props[4]["@version"] == 2
    assert props[4]["Order"] == {"Id": 1042, "Total": 1250.5, "Items": ["A", "B"], "$type": "OrderPlaced"}
    assert props[6]["EventType"] == "7f3b2c1a"  # @i of RenderedCompactJsonFormatter

    exceptions = _rows(tmp_path, "AppExceptions")
    cols = ("TimeGenerated", "ExceptionType", "Message", "InnermostType", "InnermostMessage", "Method", "SeverityLevel")
    http = "System.Net.Http.HttpRequestException"
    msg503 = "Response status code does not indicate success: 503 (Service Unavailable)."
    assert [tuple(r[c] for c in cols) for r in exceptions] == [
        (_t(5), http, msg503, http, msg503, "System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode", 3),
        (
            _t(6),
            "System.AggregateException",
            "One or more errors occurred. (Connection refused)",
            "System.Net.Sockets.SocketException",
            "Connection refused",
            "Mana.Caching.RedisCache.GetAsync",
            4,
        ),
        # 19:01:01.5+07:00 is 12:01:01.5 UTC
        (
            _t(1, 500000, minute=1),
            http,
            msg503,
            http,
            msg503,
            "System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode",
            3,
        ),
    ]
    assert (exceptions[0]["OperationId"], exceptions[0]["ParentId"]) == (TR, SP)
    assert json.loads(exceptions[0]["Properties"])["RenderedMessage"] == 'DOPA verification for "1-2345" failed'
    assert json.loads(exceptions[1]["Details"])[0]["rawStack"].startswith("System.AggregateException: One or more")


def test_bad_lines_are_counted_with_their_line_numbers_and_the_good_ones_kept(db: Session, tmp_path: Path) -> None:
    report = import_files(db, tmp_path, [FIXTURES / "with_bad_lines.clef"], actor=ADMIN, service="mana")
    where = str(FIXTURES / "with_bad_lines.clef")
    assert report.bad == [
        (f"{where}:2", "not JSON"),
        (f"{where}:3", "no @t timestamp"),
        (f"{where}:4", "@t 'yesterday' is not an ISO-8601 time"),
        (f"{where}:5", "a JSON array, not an object"),
        (f"{where}:8", "not JSON"),
    ]
    assert (report.traces, report.exceptions, report.lines, report.bad_count) == (2, 0, 8, 5)
    assert "2 traces and 0 exceptions from 8 lines; 5 line(s) were not valid CLEF" in report.summary()
    assert [r["Message"] for r in _rows(tmp_path, "AppTraces")] == ['Started "mana"', 'Stopped "mana"']
    assert table_files(tmp_path, "AppExceptions") == []


def test_a_file_that_is_not_clef_stores_nothing(db: Session, tmp_path: Path) -> None:
    content = (FIXTURES / "not_clef.json").read_bytes()
    with pytest.raises(InvalidInput, match=r"Nothing was imported.*not_clef.json:1: not JSON"):
        import_sources(db, tmp_path, [("not_clef.json", content)], actor=ADMIN, service="mana")
    with pytest.raises(InvalidInput, match="the file is empty"):
        import_sources(db, tmp_path, [("empty.clef", b"")], actor=ADMIN, service="mana")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        import_sources(db, tmp_path, [("binary.clef", b"\xff\xfe\x00garbage")], actor=ADMIN, service="mana")
    assert not any(tmp_path.rglob("*.parquet"))
    assert audit.list_records(db, actor=ADMIN) == []  # nothing imported, nothing recorded


def test_a_viewer_may_not_import(db: Session, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied, match="needs the developer role"):
        import_files(db, tmp_path, [FIXTURES / "compact.clef"], actor=Actor("v", "viewer"), service="mana")
    assert not any(tmp_path.rglob("*.parquet"))


@pytest.mark.parametrize(
    ("template", "props", "renderings", "expected"),
    [
        ("Hello {Name}", {"Name": "Anong"}, None, 'Hello "Anong"'),
        ("Hello {Name:l}", {"Name": "Anong"}, None, "Hello Anong"),
        ("{A,5}|{A,-5}|", {"A": 7}, None, "    7|7    |"),
        ("{{not a token}} {Missing}", {}, None, "{not a token} {Missing}"),
        ("{N:0.0} and {M:0.00}", {"N": 1.25, "M": 2.5}, ["1.3", "2.50"], "1.3 and 2.50"),
        ("{B} {X} {F} {L}", {"B": False, "X": None, "F": 3.0, "L": [1, "a"]}, None, 'False null 3 [1, "a"]'),
        ("{@P}", {"P": {"Lat": 13.75, "Lon": 100.5}}, None, "{ Lat: 13.75, Lon: 100.5 }"),
        ("Quote {S}", {"S": 'say "hi"'}, None, 'Quote "say \\"hi\\""'),
        ("{0} then {1}", {"0": "a", "1": 2}, None, '"a" then 2'),
        ("broken {token", {"token": 1}, None, "broken {token"),
    ],
)
def test_templates_render_as_serilog_does(template: str, props: dict, renderings: list | None, expected: str) -> None:
    assert render(template, props, renderings) == expected


def test_levels_and_odd_fields() -> None:
    lines = [
        '{"@t":"2026-11-01T12:00:00Z","@m":"a","@l":"Information"}',
        '{"@t":"2026-11-01T12:00:00Z","@m":"b","@l":"Loud"}',
        '{"@t":"2026-11-01T12:00:00","@m":"naive is UTC"}',
        '{"@t":"2026-11-01T12:00:00Z","@mt":42}',
        '{"@t":"2026-11-01T12:00:00Z","@m":"x","@x":{"not":"text"}}',
        '{"@t":1234,"@m":"number time"}',
        "   ",
    ]
    batch = parse_lines(lines, service="mana")
    assert batch.traces["SeverityLevel"] == [1, 1]
    assert batch.traces["TimeGenerated"][1] == "2026-11-01T12:00:00Z"
    assert batch.bad == [
        ("line 2", "unknown level @l 'Loud'"),
        ("line 4", "@mt/@m is not a string"),
        ("line 5", "@x is not a string"),
        ("line 6", "@t is not a string"),
    ]
    assert batch.lines == 7


def test_exception_text_without_a_message_or_frames() -> None:
    assert parse_exception("System.OperationCanceledException") == {
        "ExceptionType": "System.OperationCanceledException",
        "Message": "",
        "InnermostType": "System.OperationCanceledException",
        "InnermostMessage": "",
        "Method": None,
    }


def test_cli_imports_and_kql_reads_the_rows(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "import",
            "clef",
            str(FIXTURES / "with_bad_lines.clef"),
            str(FIXTURES / "compact.clef"),
            "--service",
            "mana-api",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "imported 8 traces and 2 exceptions from 16 lines; 5 line(s) were not valid CLEF" in out
    assert f"skipped {FIXTURES / 'with_bad_lines.clef'}:2: not JSON" in err
    src = LocalTelemetrySource(tmp_path / "telemetry")
    frame = src.query(
        "AppTraces | summarize n = count() by AppRoleName | order by AppRoleName asc", timespan=None
    ).frame
    assert frame.to_dict("records") == [{"AppRoleName": "mana-api", "n": 7}, {"AppRoleName": "mana-identity", "n": 1}]
    joined = src.query(
        f'AppExceptions | where OperationId == "{TR}" | project ExceptionType, SeverityLevel', timespan=None
    ).frame
    assert joined.to_dict("records") == [{"ExceptionType": "System.Net.Http.HttpRequestException", "SeverityLevel": 3}]


def test_cli_reports_a_file_that_is_not_clef(sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", "clef", str(FIXTURES / "not_clef.json")]) == 2
    assert "Nothing was imported" in capsys.readouterr().err
    assert cli.main(["import", "clef", "missing.clef"]) == 2
    assert "Cannot read missing.clef" in capsys.readouterr().err


def test_a_large_file_is_parsed_by_worker_processes_with_the_same_result(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.telemetry import clef_import

    big = tmp_path / "big.clef"
    parts = [(FIXTURES / f).read_text(encoding="utf-8") for f in ("compact.clef", "with_bad_lines.clef")]
    big.write_text("".join(parts * 40), encoding="utf-8")  # 640 lines, bad ones all through the file
    one = import_files(db, tmp_path / "one", [big], actor=ADMIN, service="mana")
    monkeypatch.setattr(clef_import, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(clef_import, "MAX_WORKERS", 2)
    monkeypatch.setattr(clef_import.os, "cpu_count", lambda: 2)
    two = import_files(db, tmp_path / "two", [big], actor=ADMIN, service="mana")
    assert (two.traces, two.exceptions, two.lines, two.bad_count) == (320, 80, 640, 200)
    assert (one.traces, one.exceptions, one.lines, one.bad_count, one.bad) == (
        two.traces,
        two.exceptions,
        two.lines,
        two.bad_count,
        two.bad,
    )
    assert two.bad[-1] == (f"{big}:640", "not JSON")
    for table in ("AppTraces", "AppExceptions"):
        assert _rows(tmp_path / "one", table) == _rows(tmp_path / "two", table)


def test_properties_are_the_same_whatever_the_member_order() -> None:
    lines = [
        '{"@t":"2026-11-01T12:00:00Z","@mt":"x {A}","A":1,"B":"ยืนยัน"}',  # Serilog's layout: the line's own text
        '{"@t":"2026-11-01T12:00:00Z","@mt":"x {A}","A":1,"@l":"Warning","B":"ยืนยัน"}',  # an @ member after one
        '{"@t":"2026-11-01T12:00:00Z","@mt":"x {A}","A":1,"B":"@home","@i":"0a1b2c3d"}',
        '{"@t":"2026-11-01T12:00:00Z","@mt":"x {A}","A":1,"B":"\\",\\"C\\":2"}',  # the key pattern inside a string
    ]
    props = [json.loads(p) for p in parse_lines(lines, service="mana").traces["Properties"]]
    assert props == [
        {"A": 1, "B": "ยืนยัน", "MessageTemplate": "x {A}"},
        {"A": 1, "B": "ยืนยัน", "MessageTemplate": "x {A}"},
        {"A": 1, "B": "@home", "MessageTemplate": "x {A}", "EventType": "0a1b2c3d"},
        {"A": 1, "B": '","C":2', "MessageTemplate": "x {A}"},
    ]


def test_a_line_that_is_not_utf8_is_skipped_with_its_own_number(db: Session, tmp_path: Path) -> None:
    lines = (FIXTURES / "compact.clef").read_bytes().splitlines(keepends=True)
    bad = b'{"@t":"2026-11-01T12:00:00Z","@mt":"caf\xe9 {A}","A":1}\n'  # Latin-1, as an old appender writes
    path = tmp_path / "mixed.clef"
    path.write_bytes(b"".join([lines[0], bad, *lines[1:]]))
    report = import_files(db, tmp_path, [path], actor=ADMIN, service="mana")
    assert report.bad == [(f"{path}:2", "not UTF-8 text")]
    assert report.traces + report.exceptions == len(lines) and report.lines == len(lines) + 1


@pytest.mark.heavy  # a child process: not in `make later`, which looks for dates
def test_a_long_line_is_skipped_and_a_gzip_bomb_refused_in_bounded_memory(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    from tests.hostile_uploads import GB, run_cli, write_gzip

    first, second = (FIXTURES / "compact.clef").read_bytes().splitlines(keepends=True)[:2]
    head = first + b'{"@t":"2026-11-01T12:00:00Z","@mt":"'
    long_line = write_gzip(tmp_path / "long.clef.gz", head, size=GB // 8, tail=b'"}\n' + second)  # a 128 MB line
    run = run_cli("import", "clef", long_line)
    assert run.code == 0, run.err
    assert run.peak_mb < 600
    assert f"skipped {long_line}:2: longer than the 1,024 KB limit (SRE_UPLOAD_MAX_LINE_KB)" in run.err
    assert "imported 2 traces and 0 exceptions from 3 lines; 1 line(s) were not valid CLEF" in run.out

    stored = sorted(tmp_path.rglob("*.parquet"))
    bomb = write_gzip(tmp_path / "bomb.clef.gz", b"", filler=first, size=GB // 8)
    run = run_cli("import", "clef", bomb, env={"SRE_UPLOAD_MAX_DECOMPRESSED_MB": "4"})
    assert run.code == 2 and run.peak_mb < 600
    assert "holds more than the 4 MB a file may hold once decompressed (SRE_UPLOAD_MAX_DECOMPRESSED_MB)" in run.err
    assert sorted(tmp_path.rglob("*.parquet")) == stored  # nothing of the refused file


def test_events_dated_ahead_are_stored_and_named(db: Session, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    events = [now, now + timedelta(hours=20), now + timedelta(days=2), now + timedelta(days=5)]
    content = "".join(json.dumps({"@t": t.isoformat(), "@mt": "tick {N}", "N": i}) + "\n" for i, t in enumerate(events))
    report = import_sources(db, tmp_path, [("ahead.clef", content.encode())], actor=ADMIN, service="mana")
    assert report.traces == 4  # all stored; the two beyond a day named
    latest = events[-1]
    assert report.summary().endswith(
        f"; 2 events dated more than a day in the future (the latest {latest:%Y-%m-%d %H:%M} UTC) were stored as they "
        "are; check the clock of the machine that wrote them"
    )

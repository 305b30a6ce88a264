"""Hostile k6 uploads (a few MB of gzip that decompress to a gigabyte) stay in bounded memory and name the limit hit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from services import cli
from services.db import session_scope
from services.loadtests.models import LoadTestRun
from tests.hostile_uploads import GB, run_cli, write_gzip
from tests.services.loadtests.conftest import K6, stored_files

pytestmark = pytest.mark.heavy  # processes and hundreds of MB: not in `make later`, which looks for dates

MAX_MB = 600  # the memory an import may take, whatever the input
POINT = (K6 / "out.ndjson").read_bytes().splitlines(keepends=True)[1]
CSV_HEAD = b"".join((K6 / "out.csv").read_bytes().splitlines(keepends=True)[:2])


def _runs(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(LoadTestRun)) or 0


def _hostile(tmp_path: Path, kind: str) -> Path:
    if kind == "ndjson-long-line":  # a k6 line, then one line of a gigabyte
        return write_gzip(tmp_path / "out.ndjson.gz", POINT)
    if kind == "csv-long-line":
        return write_gzip(tmp_path / "out.csv.gz", CSV_HEAD)
    if kind == "summary-padded":  # a real summary with a gigabyte of blanks before its first member
        summary = (K6 / "summary.json").read_bytes()
        return write_gzip(tmp_path / "summary.json.gz", b"{", filler=b" ", tail=summary[1:])
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("ndjson-long-line", r"out.ndjson.gz: line 2 is longer than the 1,024 KB limit \(SRE_UPLOAD_MAX_LINE_KB\)"),
        ("csv-long-line", r"out.csv.gz: line 3 is longer than the 1,024 KB limit \(SRE_UPLOAD_MAX_LINE_KB\)"),
        ("summary-padded", r"summary.json.gz: a k6 summary is at most 16 MB; this one is bigger"),
    ],
    ids=["ndjson-long-line", "csv-long-line", "summary-padded"],
)
def test_a_gigabyte_behind_a_few_megabytes_of_gzip_is_refused_in_bounded_memory(
    sqlite_engine: Engine, tmp_path: Path, kind: str, message: str
) -> None:
    path = _hostile(tmp_path, kind)
    assert path.stat().st_size < 10 << 20
    run = run_cli("loadtest", "import", path)
    assert run.code == 2, run.err
    assert run.peak_mb < MAX_MB
    assert re.search(message, run.err), run.err
    assert "nothing was imported" in run.err.lower()
    assert _runs(sqlite_engine) == 0 and stored_files(tmp_path / ".data" / "loadtests") == []


def test_more_points_than_the_decompressed_limit_are_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    # valid k6 lines all through: only the decompressed size is wrong (the limit lowered to keep the test quick)
    path = write_gzip(tmp_path / "bomb.ndjson.gz", POINT, filler=POINT, size=GB // 8)
    run = run_cli("loadtest", "import", path, env={"SRE_UPLOAD_MAX_DECOMPRESSED_MB": "64"})
    assert run.code == 2, run.err
    assert run.peak_mb < MAX_MB
    assert "bomb.ndjson.gz: holds more than the 64 MB a file may hold once decompressed" in run.err
    assert "(SRE_UPLOAD_MAX_DECOMPRESSED_MB)" in run.err
    assert _runs(sqlite_engine) == 0 and stored_files(tmp_path / ".data" / "loadtests") == []


def test_a_long_line_in_a_plain_file_is_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    lines = (K6 / "out.ndjson").read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:5], json.dumps({"pad": "x" * (3 << 20)}).encode() + b"\n", *lines[5:]]))
    run = run_cli("loadtest", "import", path)
    assert run.code == 2, run.err
    assert "out.ndjson: line 6 is longer than the 1,024 KB limit (SRE_UPLOAD_MAX_LINE_KB)" in run.err
    assert _runs(sqlite_engine) == 0


def test_points_dated_ahead_are_stored_and_named(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ahead = datetime.now(UTC) + timedelta(days=3)
    lines = (K6 / "out.ndjson").read_bytes().splitlines(keepends=True)
    points = [i for i, line in enumerate(lines) if b'"type":"Point"' in line]
    for i in points[:2]:  # two points from a load generator whose clock runs three days ahead
        obj = json.loads(lines[i])
        obj["data"]["time"] = ahead.isoformat()
        lines[i] = json.dumps(obj).encode() + b"\n"
    path = tmp_path / "out.ndjson"
    path.write_bytes(b"".join(lines))
    assert cli.main(["loadtest", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"2 points of out.ndjson dated more than a day in the future (the latest {ahead:%Y-%m-%d %H:%M} UTC) were "
        "stored as they are" in out
    )
    with session_scope(sqlite_engine) as s:
        assert s.scalar(select(LoadTestRun.points)) == len(points)  # every point kept


def test_points_of_today_need_no_notice(sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["loadtest", "import", str(K6 / "out.ndjson")]) == 0
    assert "future" not in capsys.readouterr().out

"""`sre-backoffice stubs …` end to end: build from the store, list, show coverage, export a folder WireMock loads,
import a WireMock.Net file; bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.cli import main
from services.config import get_settings
from services.stubs import wiremock_json
from tests.services.stubs.test_build import ROWS
from tests.telemetry_fixtures import AT, write


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--actor", "admin", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_build_show_export_and_import(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(get_settings().telemetry.dir, "AppDependencies", ROWS)
    end = AT.isoformat()
    code, out, _ = _cli(
        capsys, "stubs", "build", "--name", "DOPA", "--target", "api.dopa.go.th", "--days", "1", "--end", end
    )
    assert code == 0
    assert out.splitlines() == ["DOPA version 1: 12 stubs for 5 observed behaviours", "1"]
    code, out, _ = _cli(capsys, "stubs", "show", "DOPA")
    assert "POST /verify timed out (ResultCode Timeout): 1 calls, covered" in out.splitlines()
    code, out, _ = _cli(capsys, "stubs", "export", "DOPA", str(tmp_path / "stubs"))
    files = sorted((tmp_path / "stubs" / "mappings").glob("*.json"))
    assert (code, len(files)) == (0, 12)
    assert wiremock_json.read("one.json", files[0].read_bytes())[0]["request"]["method"] in ("GET", "POST")
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"Request": {"Path": "/verify", "Methods": ["post"]}, "Response": {"StatusCode": 503}}))
    code, out, _ = _cli(capsys, "stubs", "import", str(net), "--name", "DOPA")
    assert (code, out.splitlines()[-1]) == (0, "2")
    code, out, _ = _cli(capsys, "stubs", "list")
    assert out.splitlines() == ["DOPA  api.dopa.go.th  version 2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["build", "--name", "X", "--target", "nobody.example", "--end", "2026-11-01T12:00:00Z"],
            "No call to nobody.example",
        ),
        (["show", "Nope"], "No stub set named 'Nope'"),
        (["import", "missing.json", "--name", "X"], "missing.json: no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = _cli(capsys, "stubs", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1

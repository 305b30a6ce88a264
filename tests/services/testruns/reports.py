"""Helpers of the test-run report tests: read one committed fixture or bytes, count outcomes, catch a refusal."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.testruns.formats import parse_files
from services.testruns.schemas import ParsedReport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "testruns"
MB = 1 << 20
LIMIT = 10 * MB


def one(name: str, content: bytes | Path | None = None, *, max_bytes: int = LIMIT) -> ParsedReport:
    """The one report of a committed fixture (or of `content` under that name)."""
    [report] = parse_files([(name, content if content is not None else FIXTURES / name)], max_bytes=max_bytes)
    return report


def counts(report: ParsedReport) -> dict[str, int]:
    """How many cases of each outcome."""
    return dict(Counter(case.outcome for case in report.cases))


def refusal(files: list[tuple[str, bytes | Path]], *, max_bytes: int = LIMIT) -> str:
    """The message of the InvalidInput the files are refused with."""
    with pytest.raises(InvalidInput) as caught:
        parse_files(files, max_bytes=max_bytes)
    return str(caught.value)


TRX_NS = 'xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"'


def trx(results: str, summary: str = "Completed", definitions: str = "") -> bytes:
    """A TRX file around the given UnitTestResult elements (and test definitions)."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><TestRun id="r" {TRX_NS}><Results>{results}</Results>'
        f'<TestDefinitions>{definitions}</TestDefinitions><ResultSummary outcome="{summary}">'
        '<Counters total="1" failed="0" error="0"/></ResultSummary></TestRun>'
    ).encode()

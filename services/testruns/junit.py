"""Reading a JUnit XML report (pytest, Maven Surefire, JunitXml.TestLogger) as formats.py's parser hands over its
elements; also the text, time and duration helpers the TRX reader shares."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from math import isfinite
from typing import Any
from xml.etree.ElementTree import Element

from junitparser import Error, Failure, Skipped, TestCase

from services.errors import InvalidInput
from services.testruns.schemas import Outcome, ParsedCase, ParsedReport

RESULT_KINDS: tuple[tuple[type, Outcome], ...] = ((Failure, "failed"), (Error, "error"), (Skipped, "skipped"))


class JUnitReader:
    """Test cases of a JUnit report: `testsuites` or a `testsuite` root, suites nested as Surefire and others write."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cases: list[ParsedCase] = []
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.suites: list[str] = []  # the names of the testsuite elements open around the parser's position

    def started(self, element: Element) -> None:
        if element.tag != "testsuite":
            return
        self.suites.append(element.get("name", ""))
        if start := timestamp(element.get("timestamp")):
            self.starts.append(start)
            took = _seconds(self.name, element.get("time"), f"suite {element.get('name', '')}")
            if took is not None:
                self.ends.append(start + timedelta(seconds=took))

    def ended(self, element: Element, ancestors: list[Element]) -> bool:
        tag = element.tag
        if tag == "testcase":
            self.cases.append(self._case(element, self.suites[-1] if self.suites else ""))
            return True
        if tag == "testsuite":
            self.suites.pop()
        return False

    def _case(self, element: Element, suite: str) -> ParsedCase:
        case = TestCase.fromelem(element)
        name, classname = case.name or "", case.classname or ""
        try:
            duration = case.time  # junitparser drops thousands separators ("1,234.5"), as old Surefire wrote them
        except ValueError:
            duration = math.nan
        if duration is not None and not isfinite(duration):
            raise bad_duration(self.name, f"test {classname}.{name}", "time", element.get("time"))
        if not len(element):  # most cases: no child, so passed with nothing to look at
            return ParsedCase(suite, classname, name, "passed", duration)
        outcome: Outcome = "passed"
        found: Any = None
        results = case.result  # Failure, Error and Skipped children, in document order
        for kind, outcome_of_kind in RESULT_KINDS:  # a failure wins over an error written beside it, then a skip
            found = next((result for result in results if isinstance(result, kind)), None)
            if found is not None:
                outcome = outcome_of_kind
                break
        message = clean_text(found.message) if found is not None else ""
        stack = clean_text(found.text, keep_indent=True) if found is not None else ""
        return ParsedCase(suite=suite, classname=classname, name=name, outcome=outcome, duration_s=duration,
                          message=message or stack.partition("\n")[0].strip(), stack=stack)  # fmt: skip

    def report(self) -> ParsedReport:
        return ParsedReport(
            file=self.name, format="junit", cases=self.cases, started_at=min(self.starts, default=None),
            finished_at=max(self.ends, default=None),
        )  # fmt: skip


def timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 time as aware UTC; a time without an offset is taken as UTC. A time the reader cannot read is
    left out rather than refusing the report: writers vary (JunitXml.TestLogger 1.x wrote '2019-09-01T 23:56:54Z')."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("T ", "T"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _seconds(name: str, value: str | None, what: str) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value.replace(",", ""))
    except ValueError:
        raise bad_duration(name, what, "time", value) from None
    return seconds if math.isfinite(seconds) else None


def bad_duration(name: str, test: str, attribute: str, value: str | None) -> InvalidInput:
    """The refusal of a time or duration attribute that does not hold one, for the JUnit and TRX readers alike."""
    return InvalidInput(
        f'{name}: {test} has a {attribute}="{value}" that is not a duration; nothing was imported. Check the tool '
        "that wrote the report."
    )


def clean_text(value: str | None, *, keep_indent: bool = False) -> str:
    """A message or stack trace with Windows line ends made plain; `keep_indent` keeps a trace's leading indent."""
    text = (value or "").replace("\r\n", "\n")
    return text.strip("\n").rstrip() if keep_indent else text.strip()

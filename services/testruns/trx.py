"""Reading a TRX report (`dotnet test --logger trx`) as formats.py's parser hands over its elements."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from services.errors import InvalidInput
from services.testruns.junit import bad_duration, clean_text, timestamp
from services.testruns.schemas import Outcome, ParsedCase, ParsedReport

TRX = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
TRX_OUTCOMES: dict[str, Outcome] = {
    "passed": "passed", "passedbutrunaborted": "passed", "completed": "passed", "warning": "passed",
    "failed": "failed",
    "error": "error", "timeout": "error", "aborted": "error", "disconnected": "error",
    "notexecuted": "skipped", "inconclusive": "skipped", "notrunnable": "skipped", "pending": "skipped",
    "inprogress": "skipped",
}  # fmt: skip
_DURATION = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)")  # .NET TimeSpan: [d.]hh:mm:ss[.fffffff]


class TrxReader:
    """Test results of a TRX file, joined to their TestDefinitions for the class; data-driven rows replace their
    parent result, whether nested in InnerResults or written beside it with parentExecutionId."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.results: list[tuple[str, str, str, dict[str, Any]]] = []  # executionId, testId, testName, case fields
        self.classes: dict[str, str] = {}
        self.parents: set[int] = set()
        self.parent_ids: set[str] = set()
        self.times: dict[str, datetime | None] = {}
        self.summary: str | None = None
        self.counters: dict[str, int] = {}

    def started(self, element: Element) -> None:
        return None

    def ended(self, element: Element, ancestors: list[Element]) -> bool:
        tag = element.tag
        if tag == f"{TRX}UnitTestResult":
            if len(ancestors) >= 2 and ancestors[-1].tag == f"{TRX}InnerResults":
                self.parents.add(id(ancestors[-2]))
            if parent := element.get("parentExecutionId"):
                self.parent_ids.add(parent)
            if id(element) in self.parents:  # its rows were read; forget the id before the object can be reused
                self.parents.discard(id(element))
            else:
                self._result(element)
            return True
        if tag == f"{TRX}UnitTest":
            method = element.find(f"{TRX}TestMethod")
            if method is not None:
                # "Ns.Class, Assembly, Version=1.0.0.0" in older files: the version would split a test's history
                self.classes[element.get("id", "")] = method.get("className", "").split(",")[0].strip()
            return True
        if tag == f"{TRX}Times":
            self.times = {key: timestamp(element.get(key)) for key in ("start", "finish")}
        elif tag == f"{TRX}ResultSummary":
            self.summary = element.get("outcome")
            counters = element.find(f"{TRX}Counters")
            for key, value in (counters.attrib if counters is not None else {}).items():
                if not value.isdigit():
                    raise InvalidInput(
                        f'{self.name}: its ResultSummary counter {key}="{value}" is not a whole number; nothing was '
                        "imported. Check the tool that wrote the report."
                    )
                self.counters[key] = int(value)
        return False

    def _result(self, element: Element) -> None:
        test = element.get("testName", "")
        written = element.get("outcome", "")
        outcome = TRX_OUTCOMES.get(written.lower())
        if outcome is None:
            raise InvalidInput(
                f'{self.name}: test {test} has outcome "{written}", which TRX does not define (Passed, Failed, '
                "NotExecuted, Error, Timeout, Aborted, Inconclusive...); nothing was imported. Check the tool that "
                "wrote the report."
            )
        info = element.find(f"{TRX}Output/{TRX}ErrorInfo")
        message = clean_text(info.findtext(f"{TRX}Message")) if info is not None else ""
        stack = clean_text(info.findtext(f"{TRX}StackTrace"), keep_indent=True) if info is not None else ""
        if outcome == "skipped" and not message:  # xUnit writes the skip reason as the output of a test that never ran
            message = clean_text(element.findtext(f"{TRX}Output/{TRX}StdOut")).partition("\n")[0]
        fields = {"outcome": outcome, "duration_s": self._duration(test, element.get("duration")), "stack": stack,
                  "message": message or stack.partition("\n")[0].strip()}  # fmt: skip
        self.results.append((element.get("executionId", ""), element.get("testId", ""), test, fields))

    def _duration(self, test: str, value: str | None) -> float | None:
        if not value:
            return None
        match = _DURATION.fullmatch(value.strip())
        if match is None:
            raise bad_duration(self.name, f"test {test}", "duration", value)
        days, hours, minutes, seconds = match.groups()
        return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)

    def report(self) -> ParsedReport:
        cases = []
        for execution, test_id, test, fields in self.results:
            if execution and execution in self.parent_ids:
                continue
            classname = self.classes.get(test_id, "")
            cases.append(ParsedCase(suite=classname.rpartition(".")[0], classname=classname, name=test, **fields))
        summary = self.summary or ""
        failed = self.counters.get("failed", 0) + self.counters.get("error", 0)
        aborted = summary.lower() in ("aborted", "timeout") or (summary.lower() == "failed" and failed == 0)
        return ParsedReport(
            file=self.name, format="trx", cases=cases, started_at=self.times.get("start"),
            finished_at=self.times.get("finish"), summary_outcome=self.summary, counters=self.counters,
            aborted=aborted,
        )  # fmt: skip

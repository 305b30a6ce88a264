"""Reading test reports: JUnit XML (pytest, Maven Surefire, JunitXml.TestLogger) and TRX (`dotnet test --logger trx`),
plain, gzip or zipped, in memory bounded by the decompressed-size limit. Content decides the format, never the name;
any bad file refuses the whole call with one InvalidInput naming the file, what is wrong and what to do."""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, cast
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from junitparser import Error, Failure, Skipped, TestCase

from services.errors import InvalidInput
from services.testruns.schemas import Outcome, ParsedCase, ParsedReport
from services.uploads import corrupt

BLOCK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries, an empty archive
TRX = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
LIMIT = "SRE_UPLOAD_MAX_DECOMPRESSED_MB"
UPLOAD_HINT = (
    "Upload the report the test run wrote (pytest --junitxml, Maven's target/surefire-reports/TEST-*.xml, "
    "dotnet test --logger trx or junit), or a zip or gzip of such files."
)
TRX_OUTCOMES: dict[str, Outcome] = {
    "passed": "passed", "passedbutrunaborted": "passed", "completed": "passed", "warning": "passed",
    "failed": "failed",
    "error": "error", "timeout": "error", "aborted": "error", "disconnected": "error",
    "notexecuted": "skipped", "inconclusive": "skipped", "notrunnable": "skipped", "pending": "skipped",
    "inprogress": "skipped",
}  # fmt: skip
RESULT_KINDS: tuple[tuple[type, Outcome], ...] = ((Failure, "failed"), (Error, "error"), (Skipped, "skipped"))
NO_ELEMENTS = 3  # expat's XML_ERROR_NO_ELEMENTS: the document ended before (or inside) its first element
_DURATION = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)")  # .NET TimeSpan: [d.]hh:mm:ss[.fffffff]


def parse_files(files: Sequence[tuple[str, bytes | Path]], *, max_bytes: int) -> list[ParsedReport]:
    """One report per report file (a zip yields one per report inside); any bad file refuses them all."""
    reports: list[ParsedReport] = []
    for name, content in files:
        reports.extend(_parse_upload(name, content, max_bytes=max_bytes))
    return reports


def parse_one(name: str, data: bytes, *, max_bytes: int) -> ParsedReport:
    """The one report a plain or gzip file (or a zip of one report) holds."""
    reports = _parse_upload(name, data, max_bytes=max_bytes)
    if len(reports) != 1:
        raise InvalidInput(f"{name}: holds {len(reports)} reports where one was expected; nothing was imported.")
    return reports[0]


class _NotReport(Exception):
    """Well-formed XML whose root is not a JUnit or TRX report (a pom.xml, coverage.cobertura.xml...)."""

    def __init__(self, tag: str) -> None:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        known = local in ("TestRun", "testsuites", "testsuite")  # a report's root in another namespace: say which
        super().__init__(f"root element <{local}>" + (f" in namespace {namespace}" if known and namespace else ""))


class _Budget:
    """The decompressed bytes one uploaded file may still yield; a zip's entries share it."""

    def __init__(self, name: str, max_bytes: int) -> None:
        self.name, self.max_bytes, self.left = name, max_bytes, max_bytes

    def refusal(self) -> InvalidInput:
        return InvalidInput(
            f"{self.name}: holds more than the {_amount(self.max_bytes)} a file may hold once decompressed ({LIMIT}); "
            "nothing was imported. Split it into smaller files, or raise the limit on the server."
        )

    def take(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise self.refusal()


def _parse_upload(name: str, content: bytes | Path, *, max_bytes: int) -> list[ParsedReport]:
    try:
        size = len(content) if isinstance(content, bytes) else content.stat().st_size
    except OSError as exc:
        raise _unreadable(name, exc) from None
    if size > max_bytes:  # refused unread: a compressed file this large would decompress past the limit anyway
        raise InvalidInput(
            f"{name}: is {_amount(size)}, over the {_amount(max_bytes)} a file may hold ({LIMIT}); nothing was "
            "imported. Split it into smaller files, or raise the limit on the server."
        )
    budget = _Budget(name, max_bytes)
    with _opened(name, content) as fh:
        if _head(fh, 4).startswith(ZIP_MAGICS):
            return _parse_zip(name, fh, budget)
        try:
            return [_parse_stream(name, fh, budget)]
        except _NotReport as exc:
            raise InvalidInput(
                f"{name}: is XML but not a JUnit or TRX test report ({exc}); nothing was imported. {UPLOAD_HINT}"
            ) from None


@contextlib.contextmanager
def _opened(name: str, content: bytes | Path) -> Iterator[IO[bytes]]:
    if isinstance(content, bytes):
        yield io.BytesIO(content)
        return
    try:
        fh = open(content, "rb")  # noqa: SIM115 - closed below; only the open itself is translated
    except OSError as exc:
        raise _unreadable(name, exc) from None
    with fh:
        yield fh


def _unreadable(name: str, exc: OSError) -> InvalidInput:
    return InvalidInput(f"{name}: cannot be read ({exc.strerror or exc}); nothing was imported. Check the path.")


def _head(fh: IO[bytes], count: int) -> bytes:
    head = fh.read(count)
    fh.seek(0)
    return head


def _parse_zip(name: str, fh: IO[bytes], budget: _Budget) -> list[ParsedReport]:
    reports: list[ParsedReport] = []
    others: list[str] = []
    try:
        with zipfile.ZipFile(fh) as archive:
            entries = archive.infolist()
            for entry in entries:  # any entry, report or not: such an archive is refused whole
                path = entry.filename.replace("\\", "/")
                if path.startswith("/") or re.match(r"[A-Za-z]:", path) or ".." in path.split("/"):
                    raise InvalidInput(
                        f"{name}: holds an entry whose path leaves its folder ({entry.filename}); nothing was imported."
                        " An archive like that can overwrite files where it is unpacked: zip the report files again "
                        "from inside their folder."
                    )
            wanted = [entry for entry in entries if _is_report_entry(entry)]
            if sum(entry.file_size for entry in wanted) > budget.max_bytes:  # what the archive declares, unread
                raise budget.refusal()
            for entry in wanted:
                if entry.flag_bits & 0x1:
                    raise InvalidInput(
                        f"{name}/{entry.filename}: is encrypted; nothing was imported. Zip the reports without a "
                        "password."
                    )
                with archive.open(entry) as member:
                    try:
                        reports.append(_parse_stream(f"{name}/{entry.filename}", member, budget))
                    except _NotReport as exc:  # coverage.cobertura.xml or failsafe-summary.xml beside the reports
                        others.append(f"{entry.filename}, {exc}")
    except (zipfile.BadZipFile, RuntimeError, EOFError, zlib.error) as exc:  # RuntimeError: unsupported method
        raise InvalidInput(
            f"{name}: starts like a zip but cannot be read ({exc}); it may be cut short or corrupt. Nothing was "
            "imported. Zip the reports again and upload the new archive."
        ) from None
    if not reports:
        found = f"its XML files are not reports: {'; '.join(others)}" if others else "no .xml or .trx file inside"
        raise InvalidInput(f"{name}: holds no JUnit or TRX report ({found}); nothing was imported. {UPLOAD_HINT}")
    return reports


def _is_report_entry(entry: zipfile.ZipInfo) -> bool:
    parts = entry.filename.replace("\\", "/").split("/")
    if entry.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("._"):  # macOS Finder's resource forks
        return False
    return parts[-1].lower().endswith((".xml", ".trx"))


def _chunks(name: str, fh: IO[bytes], budget: _Budget) -> Iterator[bytes]:
    """The content a block at a time, gunzipped when it starts like gzip; refused once past the budget."""
    gzipped = _head(fh, 2) == GZIP_MAGIC
    stream = cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb")) if gzipped else fh
    try:
        while chunk := stream.read(min(BLOCK, budget.left + 1)):
            budget.take(len(chunk))
            yield chunk
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        if not gzipped:
            raise  # a zip entry's own damage: the archive's reader explains it
        raise corrupt(name, exc) from None


def _parse_stream(name: str, fh: IO[bytes], budget: _Budget) -> ParsedReport:
    target = _Target(name)
    # defusedxml refuses entity declarations (billion laughs) and external entities; a DTD alone is harmless
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        for chunk in _chunks(name, fh, budget):
            parser.feed(chunk)
        parser.close()
    except ParseError as exc:
        raise _not_xml(name, exc, started=target.reader is not None) from None
    except DefusedXmlException:
        raise InvalidInput(
            f"{name}: declares an XML entity, which a test report never needs and which can expand a small file into "
            "gigabytes or read files on the server; nothing was imported. Upload the report as the test tool wrote it."
        ) from None
    assert target.reader is not None  # a parse that ended without a root element raised above
    return target.reader.report()


def _not_xml(name: str, exc: ParseError, *, started: bool) -> InvalidInput:
    line, column = exc.position
    where = f"line {line:,}, column {column + 1:,}"  # expat counts columns from 0, editors from 1
    if exc.code == NO_ELEMENTS:
        what = f"ends before its XML is complete ({where}); it may be cut short" if started else "holds no XML element"
        return InvalidInput(f"{name}: {what}. Nothing was imported. {UPLOAD_HINT}")
    reason = re.sub(r": line \d+, column \d+$", "", str(exc))
    return InvalidInput(f"{name}: not XML ({where}: {reason}); nothing was imported. {UPLOAD_HINT}")


class _Target:
    """A parser target that builds elements but hands each finished test result to its format's reader and drops
    it, so memory holds the cases read, not every element and captured output of the file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reader: _JUnit | _Trx | None = None
        self._builder = TreeBuilder()
        self._open: list[Element] = []

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        element = self._builder.start(tag, attrib)
        if self.reader is None:  # the root decides the format; anything else stops here, unread
            if tag in ("testsuites", "testsuite"):
                self.reader = _JUnit(self.name)
            elif tag == f"{TRX}TestRun":
                self.reader = _Trx(self.name)
            else:
                raise _NotReport(tag)
        self._open.append(element)
        self.reader.started(element)
        return element

    def end(self, tag: str) -> Element:
        element = self._builder.end(tag)
        self._open.pop()
        assert self.reader is not None
        if self.reader.ended(element, self._open):
            self._open[-1].remove(element)
        return element

    def data(self, data: str) -> None:
        self._builder.data(data)

    def close(self) -> Element:
        return self._builder.close()


class _JUnit:
    """Test cases of a JUnit report: `testsuites` or a `testsuite` root, suites nested as Surefire and others write."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cases: list[ParsedCase] = []
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []

    def started(self, element: Element) -> None:
        if element.tag == "testsuite" and (start := _timestamp(element.get("timestamp"))):
            self.starts.append(start)
            took = _seconds(self.name, element.get("time"), f"suite {element.get('name', '')}")
            if took is not None:
                self.ends.append(start + timedelta(seconds=took))

    def ended(self, element: Element, ancestors: list[Element]) -> bool:
        if element.tag != "testcase":
            return False
        suite = next((el.get("name", "") for el in reversed(ancestors) if el.tag == "testsuite"), "")
        self.cases.append(self._case(element, suite))
        return True

    def _case(self, element: Element, suite: str) -> ParsedCase:
        case = TestCase.fromelem(element)
        name, classname = case.name or "", case.classname or ""
        try:
            duration = case.time  # junitparser drops thousands separators ("1,234.5"), as old Surefire wrote them
        except ValueError:
            duration = math.nan
        if duration is not None and not math.isfinite(duration):
            raise _bad_duration(self.name, f"test {classname}.{name}", "time", element.get("time"))
        outcome: Outcome = "passed"
        found: Any = None
        results = case.result  # Failure, Error and Skipped children, in document order
        for kind, outcome_of_kind in RESULT_KINDS:  # a failure wins over an error written beside it, then a skip
            found = next((result for result in results if isinstance(result, kind)), None)
            if found is not None:
                outcome = outcome_of_kind
                break
        message = _text(found.message) if found is not None else ""
        stack = _text(found.text, keep_indent=True) if found is not None else ""
        return ParsedCase(suite=suite, classname=classname, name=name, outcome=outcome, duration_s=duration,
                          message=message or stack.partition("\n")[0].strip(), stack=stack)  # fmt: skip

    def report(self) -> ParsedReport:
        return ParsedReport(
            file=self.name, format="junit", cases=self.cases, started_at=min(self.starts, default=None),
            finished_at=max(self.ends, default=None),
        )  # fmt: skip


class _Trx:
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
            self.times = {key: _timestamp(element.get(key)) for key in ("start", "finish")}
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
        message = _text(info.findtext(f"{TRX}Message")) if info is not None else ""
        stack = _text(info.findtext(f"{TRX}StackTrace"), keep_indent=True) if info is not None else ""
        if outcome == "skipped" and not message:  # xUnit writes the skip reason as the output of a test that never ran
            message = _text(element.findtext(f"{TRX}Output/{TRX}StdOut")).partition("\n")[0]
        fields = {"outcome": outcome, "duration_s": self._duration(test, element.get("duration")), "stack": stack,
                  "message": message or stack.partition("\n")[0].strip()}  # fmt: skip
        self.results.append((element.get("executionId", ""), element.get("testId", ""), test, fields))

    def _duration(self, test: str, value: str | None) -> float | None:
        if not value:
            return None
        match = _DURATION.fullmatch(value.strip())
        if match is None:
            raise _bad_duration(self.name, f"test {test}", "duration", value)
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


def _timestamp(value: str | None) -> datetime | None:
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
        raise _bad_duration(name, what, "time", value) from None
    return seconds if math.isfinite(seconds) else None


def _bad_duration(name: str, test: str, attribute: str, value: str | None) -> InvalidInput:
    return InvalidInput(
        f'{name}: {test} has a {attribute}="{value}" that is not a duration; nothing was imported. Check the tool '
        "that wrote the report."
    )


def _text(value: str | None, *, keep_indent: bool = False) -> str:
    text = (value or "").replace("\r\n", "\n")
    return text.strip("\n").rstrip() if keep_indent else text.strip()


def _amount(size: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"

"""Reading test reports: JUnit XML (pytest, Maven Surefire, JunitXml.TestLogger) and TRX (`dotnet test --logger trx`),
plain, gzip or zipped, in memory bounded by the decompressed-size limit. Content decides the format, never the name;
any bad file refuses the whole call with one InvalidInput naming the file, what is wrong and what to do.
Here: the containers and the streaming parser; junit.py and trx.py read the elements of their format."""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from services.errors import InvalidInput
from services.testruns.junit import JUnitReader
from services.testruns.schemas import ParsedReport
from services.testruns.trx import TRX, TrxReader
from services.uploads import corrupt, leaves_its_folder

BLOCK = 1 << 16  # the parser's events are handled after each block: a suite's finished cases stay few
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries, an empty archive
LIMIT = "SRE_UPLOAD_MAX_DECOMPRESSED_MB"
UPLOAD_HINT = (
    "Upload the report the test run wrote (pytest --junitxml, Maven's target/surefire-reports/TEST-*.xml, "
    "dotnet test --logger trx or junit), or a zip or gzip of such files."
)
NO_ELEMENTS = 3  # expat's XML_ERROR_NO_ELEMENTS: the document ended before (or inside) its first element


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
                if leaves_its_folder(entry.filename):
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
    guard = _EntityGuard()
    # the document: expat and ElementTree's tree builder, both in C; Python sees one event per element start and end
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    reading = _Reading(name)
    try:
        for chunk in _chunks(name, fh, budget):
            guard.feed(chunk)  # before the document parser sees the chunk
            parser.feed(chunk)
            reading.handle(parser.read_events())
        parser.close()
        reading.handle(parser.read_events())
    except ParseError as exc:
        raise _not_xml(name, exc, started=reading.reader is not None) from None
    except DefusedXmlException:
        raise InvalidInput(
            f"{name}: declares an XML entity, which a test report never needs and which can expand a small file into "
            "gigabytes or read files on the server; nothing was imported. Upload the report as the test tool wrote it."
        ) from None
    assert reading.reader is not None  # a parse that ended without a root element raised above
    return reading.reader.report()


class _RootReached(Exception):
    """The prolog is over: no entity can be declared after the root element starts."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached

    def close(self) -> None:
        return None


class _EntityGuard:
    """defusedxml reads the prolog, the only place a document can declare an entity, and refuses any entity
    declaration (billion laughs) or external entity; a DTD alone is harmless. It stops at the root element, so the
    document itself is read once, by the C parser, which then meets no entity but XML's predefined ones."""

    def __init__(self) -> None:
        self._parser: DefusedXMLParser | None = DefusedXMLParser(
            target=_StopAtRoot(), forbid_dtd=False, forbid_entities=True, forbid_external=True
        )

    def feed(self, chunk: bytes) -> None:
        if self._parser is None:
            return
        try:
            self._parser.feed(chunk)
        except _RootReached:
            self._parser = None


class _Reading:
    """Hands each finished test result to its format's reader and drops it from the tree, so memory holds the cases
    read, not every element and captured output of the file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reader: JUnitReader | TrxReader | None = None
        self._open: list[Element] = []

    def handle(self, events: Iterator[tuple[Any, ...]]) -> None:  # ("start" or "end", the element)
        opened, reader = self._open, self.reader
        for event, element in events:
            if event == "start":
                if reader is None:
                    reader = self.reader = self._reader_for(element.tag)
                opened.append(element)
                reader.started(element)
            else:
                opened.pop()
                assert reader is not None
                if reader.ended(element, opened):
                    opened[-1].remove(element)

    def _reader_for(self, tag: str) -> JUnitReader | TrxReader:
        # the root decides the format; anything else stops here, unread
        if tag in ("testsuites", "testsuite"):
            return JUnitReader(self.name)
        if tag == f"{TRX}TestRun":
            return TrxReader(self.name)
        raise _NotReport(tag)


def _not_xml(name: str, exc: ParseError, *, started: bool) -> InvalidInput:
    line, column = exc.position
    where = f"line {line:,}, column {column + 1:,}"  # expat counts columns from 0, editors from 1
    if exc.code == NO_ELEMENTS:
        what = f"ends before its XML is complete ({where}); it may be cut short" if started else "holds no XML element"
        return InvalidInput(f"{name}: {what}. Nothing was imported. {UPLOAD_HINT}")
    reason = re.sub(r": line \d+, column \d+$", "", str(exc))
    return InvalidInput(f"{name}: not XML ({where}: {reason}); nothing was imported. {UPLOAD_HINT}")


def _amount(size: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"

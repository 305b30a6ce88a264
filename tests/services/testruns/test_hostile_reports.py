"""Test-run reports that must be refused, or read within bounds: archives, bad XML, entities, bombs, huge files."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.testruns.formats import parse_files, parse_one
from tests.hostile_uploads import write_gzip, zip_bytes
from tests.services.testruns.reports import FIXTURES, LIMIT, MB
from tests.services.testruns.reports import counts as _counts
from tests.services.testruns.reports import one as _one
from tests.services.testruns.reports import refusal as _refusal
from tests.services.testruns.reports import trx as _trx

# --- content decides the format; archives ---------------------------------------------------------------------


def test_gzip_and_misleading_names_are_read_by_content() -> None:
    circle = (FIXTURES / "TEST-com.shape.CircleTest.xml").read_bytes()
    gz = _one("circle.xml", gzip.compress(circle))  # gzip named .xml
    assert gz.file == "circle.xml" and _counts(gz) == {"passed": 6, "failed": 1, "error": 1}
    assert _counts(_one("report.gz", circle)) == _counts(gz)  # plain named .gz
    zipped = _one("report.xml", zip_bytes({"TEST-Circle.xml": circle}))  # zip named .xml
    assert zipped.file == "report.xml/TEST-Circle.xml" and _counts(zipped) == _counts(gz)
    assert parse_one("one.xml", gzip.compress(circle), max_bytes=LIMIT).cases == gz.cases


def test_a_zip_yields_one_report_per_report_inside() -> None:
    archive = zip_bytes({
        "surefire-reports/": b"",
        "surefire-reports/TEST-com.shape.CircleTest.xml": (FIXTURES / "TEST-com.shape.CircleTest.xml").read_bytes(),
        "surefire-reports/com.shape.CircleTest.txt": b"Tests run: 8, Failures: 1, Errors: 1",
        "TestResults/run.TRX": gzip.compress((FIXTURES / "dotnet-xunit.trx").read_bytes()),  # gzip inside, .TRX
        "TestResults/coverage.cobertura.xml": b'<?xml version="1.0"?><coverage line-rate="0.8"/>',
        "__MACOSX/surefire-reports/._TEST-com.shape.CircleTest.xml": b"\x00\x05\x16\x07 resource fork",
    })  # fmt: skip
    reports = parse_files([("results.zip", archive)], max_bytes=LIMIT)
    assert [(r.file, r.format, len(r.cases)) for r in reports] == [
        ("results.zip/surefire-reports/TEST-com.shape.CircleTest.xml", "junit", 8),
        ("results.zip/TestResults/run.TRX", "trx", 7),
    ]  # fmt: skip


def test_files_and_archives_together(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(zip_bytes({"a.xml": (FIXTURES / "TEST-NoTimeTestCaseTest.xml").read_bytes()}))
    reports = parse_files(
        [("run.trx", FIXTURES / "dotnet-xunit.trx"), ("more.zip", path)], max_bytes=LIMIT
    )  # fmt: skip
    assert [(r.file, len(r.cases)) for r in reports] == [("run.trx", 7), ("more.zip/a.xml", 8)]


# --- refusals -------------------------------------------------------------------------------------------------


def test_not_xml_names_the_line_and_column() -> None:
    message = _refusal([("report.xml", b'<?xml version="1.0"?>\n<testsuite>\n<xy></z>\n</testsuite>')])  # at the z
    assert message.startswith("report.xml: not XML (line 3, column 7: mismatched tag); nothing was imported.")
    assert "pytest --junitxml" in message  # and what to upload instead
    assert _refusal([("blank.xml", b"")]).startswith("blank.xml: holds no XML element.")
    cut = _refusal([("cut.xml", b'<testsuite name="s"><testcase name="a">')])
    assert cut.startswith("cut.xml: ends before its XML is complete (line 1, column 40); it may be cut short.")


def test_xml_that_is_not_a_report() -> None:
    pom = b'<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion/></project>'
    assert _refusal([("pom.xml", pom)]).startswith(
        "pom.xml: is XML but not a JUnit or TRX test report (root element <project>); nothing was imported."
    )
    page = b"<html><head><title>Build 42</title></head><body><p>Tests</p></body></html>"
    assert "(root element <html>)" in _refusal([("index.html", page)])


def test_one_bad_file_refuses_the_whole_call() -> None:
    message = _refusal([("good.trx", FIXTURES / "dotnet-xunit.trx"), ("bad.xml", b"<testsuite><oops></testsuite>")])
    assert message.startswith("bad.xml: not XML (line 1, column 20: mismatched tag)")


def test_entities_are_refused() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
    <testsuite name="&lol2;"/>"""
    assert _refusal([("lol.xml", laughs)]).startswith("lol.xml: declares an XML entity")
    external = b"""<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <testsuite><testcase name="&x;"/></testsuite>"""
    assert "declares an XML entity" in _refusal([("xxe.xml", external)])


def test_entities_are_refused_wherever_the_blocks_cut_the_prolog(tmp_path: Path) -> None:
    # the document is read in 64 KB blocks: a declaration far into the prolog, or cut across two blocks, is refused
    entity = b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
    for pad in (200_000, 65_536 - 60, 65_536 - 5):
        head = b'<?xml version="1.0"?><!DOCTYPE lolz [<!-- ' + b"x" * pad + b" -->"
        laughs = head + entity + b']><testsuite name="&lol2;"><testcase name="t"/></testsuite>'
        assert _refusal([("lol.xml", laughs)]).startswith("lol.xml: declares an XML entity"), pad
    bomb = write_gzip(tmp_path / "lol.xml.gz", b'<?xml version="1.0"?><!DOCTYPE t [' + entity + b"]><testsuite>",
                      filler=b'<testcase name="&lol2;"/>', size=20 * MB, tail=b"</testsuite>")  # fmt: skip
    assert _refusal([("lol.xml.gz", bomb)], max_bytes=LIMIT).startswith("lol.xml.gz: declares an XML entity")


def test_a_doctype_without_entities_and_character_references_are_read() -> None:
    report = _one(
        "dtd.xml",
        b'<?xml version="1.0"?><!DOCTYPE testsuite [<!ELEMENT testsuite ANY>]><testsuite name="s">'
        b'<testcase classname="c" name="caf&#233; &amp; &lt;b&gt;"/></testsuite>',
    )
    assert [c.name for c in report.cases] == ["café & <b>"]
    undefined = _refusal([("undef.xml", b'<testsuite><testcase name="&x;"/></testsuite>')])
    assert undefined.startswith("undef.xml: not XML (line 1, column 12: undefined entity)")


def test_bad_durations_are_refused_with_the_value() -> None:
    junit = b'<testsuite><testcase classname="C" name="t" time="soon"/></testsuite>'
    assert _refusal([("t.xml", junit)]).startswith('t.xml: test C.t has a time="soon" that is not a duration;')
    trx = _trx('<UnitTestResult testName="T" outcome="Passed" duration="a while"/>')
    assert _refusal([("t.trx", trx)]).startswith('t.trx: test T has a duration="a while" that is not a duration;')


def test_unsafe_or_empty_zips_are_refused() -> None:
    good = (FIXTURES / "TEST-NoTimeTestCaseTest.xml").read_bytes()
    evil = _refusal([("evil.zip", zip_bytes({"ok.xml": good, "../evil.xml": good}))])
    assert evil.startswith("evil.zip: holds an entry whose path leaves its folder (../evil.xml); nothing was imported")
    assert "(/etc/cron.d/x.xml)" in _refusal([("abs.zip", zip_bytes({"/etc/cron.d/x.xml": good}))])
    none = _refusal([("logs.zip", zip_bytes({"build.log": b"BUILD SUCCESS", "docs/": b""}))])
    assert none.startswith("logs.zip: holds no JUnit or TRX report (no .xml or .trx file inside); nothing was imported")
    others = _refusal([("cfg.zip", zip_bytes({"pom.xml": b"<project/>"}))])
    assert "(its XML files are not reports: pom.xml, root element <project>)" in others
    broken = _refusal([("broken.zip", zip_bytes({"a.xml": good})[:60])])
    assert broken.startswith("broken.zip: starts like a zip but cannot be read")
    cut_gzip = _refusal([("cut.xml.gz", gzip.compress(good)[:-12])])
    assert cut_gzip.startswith("cut.xml.gz: starts like gzip but cannot be decompressed")


def test_unreadable_path_is_refused(tmp_path: Path) -> None:
    assert _refusal([("gone.xml", tmp_path / "gone.xml")]).startswith("gone.xml: cannot be read (")


# --- bounded memory -------------------------------------------------------------------------------------------

SUITE_OPEN, SUITE_CLOSE = b'<testsuite name="bomb">', b"</testsuite>"


def _peak(call: object) -> tuple[str, int]:
    """The refusal of `call` and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput) as caught:
            call()  # type: ignore[operator]
        return str(caught.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml.gz"
    with gzip.open(bomb, "wb") as fh:  # 50 MB of a well-formed report's padding in about 50 KB
        fh.write(SUITE_OPEN)
        for _ in range(50):
            fh.write(b" " * MB)
        fh.write(SUITE_CLOSE)
    assert bomb.stat().st_size < MB
    message, peak = _peak(lambda: parse_files([("bomb.xml.gz", bomb)], max_bytes=MB))
    assert message.startswith(
        "bomb.xml.gz: holds more than the 1 MB a file may hold once decompressed (SRE_UPLOAD_MAX_DECOMPRESSED_MB)"
    )
    assert peak < 8 * MB  # it read a little past 1 MB, never the 50 MB


def test_zip_bombs_stop_at_the_limit(tmp_path: Path) -> None:
    declared = tmp_path / "declared.zip"
    with zipfile.ZipFile(declared, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("big.xml", "w") as fh:
        fh.write(SUITE_OPEN)
        for _ in range(50):
            fh.write(b" " * MB)
        fh.write(SUITE_CLOSE)
    message, peak = _peak(lambda: parse_files([("declared.zip", declared)], max_bytes=MB))
    assert "holds more than the 1 MB a file may hold once decompressed (SRE_UPLOAD_MAX_DECOMPRESSED_MB)" in message
    assert peak < 4 * MB  # refused on the sizes the archive declares, before reading an entry
    # the entries' declared sizes are small (a gzip each), what they decompress to is not: counted while reading
    inner = gzip.compress(SUITE_OPEN + b" " * (3 * MB) + SUITE_CLOSE)
    nested = zip_bytes({f"part{i}.xml": inner for i in range(20)})
    message, peak = _peak(lambda: parse_files([("nested.zip", nested)], max_bytes=2 * MB))
    assert message.startswith("nested.zip: holds more than the 2 MB a file may hold once decompressed")
    assert peak < 10 * MB


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    case = b'<testcase classname="com.acme.LargeTest" name="case" time="0.001"/>\n'
    with open(big, "wb") as fh:
        fh.write(b"<testsuites>" + SUITE_OPEN)
        for _ in range(50):
            fh.write(case * (MB // len(case) + 1))
        fh.write(SUITE_CLOSE + b"</testsuites>")
    assert big.stat().st_size > 50 * MB
    started = time.perf_counter()
    message, peak = _peak(lambda: parse_files([("big.xml", big)], max_bytes=10 * MB))
    assert message.startswith("big.xml: is 50 MB, over the 10 MB a file may hold (SRE_UPLOAD_MAX_DECOMPRESSED_MB)")
    assert peak < MB and time.perf_counter() - started < 1  # not a byte of it read


def test_captured_output_is_not_kept_while_reading(tmp_path: Path) -> None:
    report = tmp_path / "chatty.xml"
    output = b"<system-out>" + b"log line of a chatty test\n" * 17_000 + b"</system-out>"  # ~400 KB per case
    with open(report, "wb") as fh:
        fh.write(SUITE_OPEN)
        for i in range(20):
            fh.write(b'<testcase classname="Chatty" name="t%d" time="1">%s</testcase>' % (i, output))
        fh.write(SUITE_CLOSE)
    assert report.stat().st_size > 8 * MB
    tracemalloc.start()
    try:
        parsed = _one("chatty.xml", report)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(parsed.cases) == 20 and _counts(parsed) == {"passed": 20}
    assert peak < 6 * MB  # one case's output at a time, not the file's 8 MB

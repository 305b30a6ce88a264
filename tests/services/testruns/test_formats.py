"""Reading JUnit XML and TRX reports: what each tool wrote, read back as a user would check it, and every refusal."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.testruns.formats import parse_files, parse_one
from services.testruns.schemas import ParsedReport
from tests.hostile_uploads import write_gzip

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "testruns"
MB = 1 << 20
LIMIT = 10 * MB


def _one(name: str, content: bytes | Path | None = None, *, max_bytes: int = LIMIT) -> ParsedReport:
    [report] = parse_files([(name, content if content is not None else FIXTURES / name)], max_bytes=max_bytes)
    return report


def _counts(report: ParsedReport) -> dict[str, int]:
    return dict(Counter(case.outcome for case in report.cases))


def _refusal(files: list[tuple[str, bytes | Path]], *, max_bytes: int = LIMIT) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_files(files, max_bytes=max_bytes)
    return str(caught.value)


# --- pytest, run here so the report is the installed pytest's own ------------------------------------------------

SAMPLE = """
import time
from pathlib import Path

import pytest


@pytest.fixture
def database():
    raise RuntimeError("database is down")


def test_adds():
    Path("ran_at.txt").write_text(repr(time.time()))


def test_totals():
    assert 1 + 1 == 3, "totals differ"


def test_reads(database):
    pass


def test_network():
    pytest.skip("no network here")
"""


def test_pytest_junitxml_is_read_as_the_run_went(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # keeps the child away from this repository's settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-p", "no:cacheprovider", "--junitxml=report.xml",
         "test_sample.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr  # pytest's own verdict: tests failed
    assert "1 failed, 1 passed, 1 skipped, 1 error" in run.stdout

    report = _one("report.xml", tmp_path / "report.xml")
    assert report.format == "junit" and len(report.cases) == 4
    assert _counts(report) == {"passed": 1, "failed": 1, "error": 1, "skipped": 1}  # as pytest's summary line
    by_name = {case.name: case for case in report.cases}
    assert {case.classname for case in report.cases} == {"test_sample"}
    assert by_name["test_totals"].outcome == "failed"
    assert "totals differ" in by_name["test_totals"].message
    assert "assert (1 + 1) == 3" in by_name["test_totals"].stack
    assert by_name["test_reads"].outcome == "error"
    assert "database is down" in by_name["test_reads"].message  # 'failed on setup with "RuntimeError: ..."'
    assert by_name["test_network"].outcome == "skipped" and by_name["test_network"].message == "no network here"
    assert by_name["test_adds"].outcome == "passed" and by_name["test_adds"].message == ""
    assert all(case.duration_s is not None and case.duration_s >= 0 for case in report.cases)
    # pytest stamps its suite with an aware local time; read back as UTC it brackets the moment the test ran
    # (both clocks are the child's, so a fake clock in this process does not matter)
    ran_at = datetime.fromtimestamp(float((tmp_path / "ran_at.txt").read_text()), UTC)
    assert report.started_at is not None and report.finished_at is not None
    assert report.started_at.utcoffset() == timedelta(0)
    assert report.started_at - timedelta(seconds=1) <= ran_at <= report.finished_at + timedelta(seconds=1)


# --- Maven Surefire -------------------------------------------------------------------------------------------


def test_surefire_2_report_with_a_failure_and_an_error() -> None:
    report = _one("TEST-com.shape.CircleTest.xml")
    assert _counts(report) == {"passed": 6, "failed": 1, "error": 1}
    radius, properties = report.cases[3], report.cases[4]
    assert (radius.suite, radius.classname, radius.name) == ("com.shape.CircleTest", "", "testRadius")  # no classname
    assert radius.message == "expected:<20> but was:<10>"
    assert radius.stack.startswith("junit.framework.AssertionFailedError: expected:<20> but was:<10>\n\tat junit")
    assert (properties.name, properties.outcome, properties.message) == ("testProperties", "error", "/ by zero")
    # 0.01 + 0 + 0 + 0.01 + 0.02 + 0 + 0.01 + 0, the cases' own times
    assert sum(case.duration_s or 0 for case in report.cases) == pytest.approx(0.05)
    assert report.started_at is None and report.finished_at is None  # Surefire writes no timestamp


def test_surefire_cases_without_time_have_no_duration() -> None:
    report = _one("TEST-NoTimeTestCaseTest.xml")
    assert _counts(report) == {"passed": 8}
    durations = {case.name: case.duration_s for case in report.cases}
    assert durations["test7"] is None and durations["testResults"] is None
    assert durations["test6"] == 0.5 and durations["test1"] == 0.0


def test_surefire_3_reports() -> None:
    spring = _one("TEST-com.example.demo.DemoApplicationTests.xml")  # xsi:noNamespaceSchemaLocation, CDATA output
    [case] = spring.cases
    assert (case.classname, case.name, case.outcome, case.duration_s) == (
        "com.example.demo.DemoApplicationTests", "contextLoads", "passed", 0.401,
    )  # fmt: skip
    error = _one("TEST-surefire.MyTest.xml").cases[0]
    assert (error.outcome, error.message) == ("error", "java.lang.IndexOutOfBoundsException: msg")
    assert "Caused by: java.lang.IndexOutOfBoundsException" in error.stack


def test_nested_testsuites_give_each_case_its_own_suite() -> None:
    xml = b"""<testsuites><testsuite name="all" timestamp="2026-03-01T10:00:00+07:00" time="90">
      <testsuite name="api"><testcase classname="Orders" name="creates" time="1.5"/></testsuite>
      <testsuite name="ui"><testsuite name="ui.cart"><testcase classname="Cart" name="adds" time="2"/></testsuite>
      </testsuite><testcase classname="Smoke" name="boots"/></testsuite></testsuites>"""
    report = _one("nested.xml", xml)
    assert [(case.suite, case.classname, case.name) for case in report.cases] == [
        ("api", "Orders", "creates"), ("ui.cart", "Cart", "adds"), ("all", "Smoke", "boots"),
    ]  # fmt: skip
    assert report.started_at == datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # +07:00 read as UTC
    assert report.finished_at == datetime(2026, 3, 1, 3, 1, 30, tzinfo=UTC)  # start + the suite's 90 s


# --- dotnet test --------------------------------------------------------------------------------------------------


def test_junit_logger_report() -> None:
    report = _one("junit-testlogger-TestResults.xml")
    assert len(report.cases) == 17 and _counts(report) == {"passed": 10, "failed": 6, "skipped": 1}
    by_key = {(case.classname.rpartition(".")[2], case.name): case for case in report.cases}
    second = by_key[("ParametrizedTestCases", 'TestData(2,"A")')]
    assert second.message == "failing for second case\n  Expected: not equal to 2\n  But was:  2"  # CRLF as LF
    assert second.stack.startswith("at JUnit.Xml.TestLogger.NetFull.Tests.ParametrizedTestCases.TestData")
    one_time = by_key[("FailingOneTimeSetUp", "TestA")]
    assert one_time.message.startswith("OneTimeSetUp: System.InvalidOperationException") and one_time.stack == ""
    assert by_key[("UnitTest1", "PassTest11")].duration_s == pytest.approx(0.406862)
    assert [case.name for case in report.cases].count("TestE") == 2  # the same name twice is kept
    # timestamp="2021-04-04T16:42:06" has no offset: taken as UTC
    assert report.started_at == datetime(2021, 4, 4, 16, 42, 6, tzinfo=UTC)
    assert report.finished_at == report.started_at + timedelta(seconds=0.87068)


def test_trx_from_dotnet_test() -> None:
    report = _one("dotnet-xunit.trx")
    assert report.format == "trx" and len(report.cases) == 7
    assert _counts(report) == {"passed": 3, "failed": 3, "skipped": 1}
    assert report.summary_outcome == "Failed" and not report.aborted
    assert report.counters["total"] == 7 and report.counters["failed"] == 3 and report.counters["notExecuted"] == 0
    by_name = {case.name: case for case in report.cases}
    failing = by_name["DotnetTests.XUnitTests.CalculatorTests.Failing_Test"]
    assert (failing.suite, failing.classname) == ("DotnetTests.XUnitTests", "DotnetTests.XUnitTests.CalculatorTests")
    assert failing.message == "Assert.Equal() Failure\nExpected: 3\nActual:   2"
    assert failing.stack.startswith("   at DotnetTests.XUnitTests.CalculatorTests.Failing_Test() in C:\\Users")
    assert failing.duration_s == pytest.approx(0.0032953)
    skipped = by_name["DotnetTests.XUnitTests.CalculatorTests.Skipped_Test"]
    assert (skipped.outcome, skipped.message) == ("skipped", "Skipped test")  # xUnit's skip reason, in StdOut
    # a test with a display name still gets its class from TestDefinitions (joined on testId)
    assert by_name["Custom Name"].classname == "DotnetTests.XUnitTests.CalculatorTests"
    assert report.started_at == datetime(2020, 10, 17, 19, 39, 3, 328507, tzinfo=UTC)  # Times start, +02:00
    assert report.finished_at == datetime(2020, 10, 17, 19, 39, 4, 389272, tzinfo=UTC)


def test_trx_of_an_aborted_run_is_marked_aborted() -> None:
    report = _one("dotnet-xunit-aborted.trx")
    assert _counts(report) == {"passed": 3, "skipped": 1}  # every result present passed or was skipped...
    assert report.summary_outcome == "Failed" and report.counters["failed"] == 0
    assert report.aborted  # ...but the run says Failed with 0 failed: it stopped before the rest ran


TRX_NS = 'xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"'


def _trx(results: str, summary: str = "Completed", definitions: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><TestRun id="r" {TRX_NS}><Results>{results}</Results>'
        f'<TestDefinitions>{definitions}</TestDefinitions><ResultSummary outcome="{summary}">'
        '<Counters total="1" failed="0" error="0"/></ResultSummary></TestRun>'
    ).encode()


def test_trx_data_driven_rows_replace_their_parent() -> None:
    nested = _trx(
        '<UnitTestResult executionId="p" testId="t" testName="Rows" outcome="Failed" duration="00:00:00.0300000">'
        "<InnerResults>"
        '<UnitTestResult executionId="a" parentExecutionId="p" testId="t" testName="Rows (1)" outcome="Passed" '
        'duration="00:00:00.0100000"/>'
        '<UnitTestResult executionId="b" parentExecutionId="p" testId="t" testName="Rows (2)" outcome="Failed" '
        'duration="00:00:00.0200000"><Output><ErrorInfo><Message>row two</Message></ErrorInfo></Output>'
        "</UnitTestResult></InnerResults></UnitTestResult>",
        definitions='<UnitTest id="t"><TestMethod className="Acme.Data.RowTests, Acme.Tests, Version=1.0.0.0" '
        'name="Rows"/></UnitTest>',
    )
    report = _one("rows.trx", nested)
    assert [(c.name, c.outcome, c.message, c.duration_s) for c in report.cases] == [
        ("Rows (1)", "passed", "", 0.01), ("Rows (2)", "failed", "row two", 0.02),
    ]  # fmt: skip
    assert {(c.suite, c.classname) for c in report.cases} == {("Acme.Data", "Acme.Data.RowTests")}  # no assembly
    flat = _trx(
        '<UnitTestResult executionId="p" testId="t" testName="Rows" outcome="Failed"/>'
        '<UnitTestResult executionId="a" parentExecutionId="p" testId="t" testName="Rows (1)" outcome="Passed"/>'
        '<UnitTestResult executionId="b" parentExecutionId="p" testId="t" testName="Rows (2)" outcome="Failed"/>'
    )
    assert [c.name for c in _one("flat.trx", flat).cases] == ["Rows (1)", "Rows (2)"]


def test_trx_outcomes_durations_and_summaries() -> None:
    outcomes = ["Passed", "Failed", "Error", "Timeout", "Aborted", "NotExecuted", "Inconclusive"]
    results = "".join(
        f'<UnitTestResult executionId="e{i}" testId="t{i}" testName="T{i}" outcome="{o}" duration="1.02:03:04.5"/>'
        for i, o in enumerate(outcomes)
    )
    report = _one("outcomes.trx", b"\xef\xbb\xbf" + _trx(results, summary="Aborted"))  # with the BOM dotnet writes
    assert [c.outcome for c in report.cases] == ["passed", "failed", "error", "error", "error", "skipped", "skipped"]
    assert report.cases[0].duration_s == 86400 + 2 * 3600 + 3 * 60 + 4.5  # 1 day 02:03:04.5
    assert report.aborted and report.summary_outcome == "Aborted"
    assert _one("timeout.trx", _trx("", summary="Timeout")).aborted
    assert not _one("done.trx", _trx("", summary="Completed")).aborted
    message = _refusal([("odd.trx", _trx('<UnitTestResult testName="T" outcome="Exploded"/>'))])
    assert message.startswith('odd.trx: test T has outcome "Exploded", which TRX does not define')
    assert "nothing was imported" in message


def test_empty_reports_are_valid_with_no_case() -> None:
    assert _one("empty.xml", b'<testsuite name="none" tests="0"/>').cases == []
    assert _one("empty.trx", _trx("")).cases == []


# --- content decides the format; archives ---------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_gzip_and_misleading_names_are_read_by_content() -> None:
    circle = (FIXTURES / "TEST-com.shape.CircleTest.xml").read_bytes()
    gz = _one("circle.xml", gzip.compress(circle))  # gzip named .xml
    assert gz.file == "circle.xml" and _counts(gz) == {"passed": 6, "failed": 1, "error": 1}
    assert _counts(_one("report.gz", circle)) == _counts(gz)  # plain named .gz
    zipped = _one("report.xml", _zip({"TEST-Circle.xml": circle}))  # zip named .xml
    assert zipped.file == "report.xml/TEST-Circle.xml" and _counts(zipped) == _counts(gz)
    assert parse_one("one.xml", gzip.compress(circle), max_bytes=LIMIT).cases == gz.cases


def test_a_zip_yields_one_report_per_report_inside() -> None:
    archive = _zip({
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
    path.write_bytes(_zip({"a.xml": (FIXTURES / "TEST-NoTimeTestCaseTest.xml").read_bytes()}))
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
    evil = _refusal([("evil.zip", _zip({"ok.xml": good, "../evil.xml": good}))])
    assert evil.startswith("evil.zip: holds an entry whose path leaves its folder (../evil.xml); nothing was imported")
    assert "(/etc/cron.d/x.xml)" in _refusal([("abs.zip", _zip({"/etc/cron.d/x.xml": good}))])
    none = _refusal([("logs.zip", _zip({"build.log": b"BUILD SUCCESS", "docs/": b""}))])
    assert none.startswith("logs.zip: holds no JUnit or TRX report (no .xml or .trx file inside); nothing was imported")
    others = _refusal([("cfg.zip", _zip({"pom.xml": b"<project/>"}))])
    assert "(its XML files are not reports: pom.xml, root element <project>)" in others
    broken = _refusal([("broken.zip", _zip({"a.xml": good})[:60])])
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
    nested = _zip({f"part{i}.xml": inner for i in range(20)})
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

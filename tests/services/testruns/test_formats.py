"""Reading JUnit XML and TRX reports: what each tool wrote, read back as a user would check it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.services.testruns.reports import counts as _counts
from tests.services.testruns.reports import one as _one
from tests.services.testruns.reports import refusal as _refusal
from tests.services.testruns.reports import trx as _trx

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

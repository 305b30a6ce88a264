"""What a test report holds once read (formats.py), what an import is told about the run, and a stored result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from services import validation
from services.errors import InvalidInput
from services.testruns.models import KINDS

Outcome = Literal["passed", "failed", "error", "skipped"]


class ParsedCase(NamedTuple):
    """One test case of a report: a named tuple, as a report can hold 100,000 and a frozen dataclass costs more."""

    suite: str  # the testsuite name (JUnit) or the TestDefinitions className's namespace part (TRX); "" if none
    classname: str  # JUnit classname / TRX TestMethod className ("" if none)
    name: str
    outcome: Outcome
    duration_s: float | None
    message: str = ""  # failure/error message, or the skip reason
    stack: str = ""  # failure/error text or stack trace


@dataclass(frozen=True)
class ParsedReport:
    """One file's test cases, with what its own summary says."""

    file: str  # the name the user knows the file by (inside a zip: "archive.zip/inner/path.xml")
    format: Literal["junit", "trx"]
    cases: list[ParsedCase] = field(default_factory=list)
    started_at: datetime | None = None  # aware UTC, from the report when it says (testsuite timestamp, TRX Times)
    finished_at: datetime | None = None
    # TRX: ResultSummary outcome and Counters as written; aborted when the summary says Failed with 0 failed tests
    # (or Aborted / Timeout), so such a run is never reported as passed
    summary_outcome: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    aborted: bool = False


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test case's result in a stored run, as read back from the run's results file."""

    __test__ = False  # not a pytest test class

    test_key: str  # classname (or suite) :: name: the same test across runs
    suite: str
    classname: str
    name: str
    outcome: str  # passed, failed, error, skipped
    duration_s: float | None
    message: str
    stack: str


class RunOptions(BaseModel):
    """What an import is told about the run: whose tests, which kind, for which release or commit, from where."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    service: str
    kind: str
    release: str | None = None
    commit: str | None = None
    branch: str | None = None
    pipeline_url: str | None = None

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        if not v or len(v) > 200:
            raise ValueError("must be the service's AppRoleName (1 to 200 characters), e.g. mana")
        return v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"must be one of {', '.join(KINDS)}")
        return v

    _release = field_validator("release")(validation.release)
    _commit = field_validator("commit")(validation.commit)
    _url = field_validator("pipeline_url")(validation.link)

    @field_validator("branch")
    @classmethod
    def _branch(cls, v: str | None) -> str | None:
        if not v:
            return None
        if len(v) > 200 or any(ord(ch) < 32 for ch in v):
            raise ValueError("must be a branch name of at most 200 printable characters")
        return v


def parse_run_options(data: dict[str, object]) -> RunOptions:
    """Validate form, command-line or query-string values into one InvalidInput naming each bad field."""
    try:
        return RunOptions.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation.refusal(exc, "test run", "imported")) from None

"""Every failure of the local engine is one message that names what is wrong, where, and what to write instead; no
DuckDB error text reaches the user, whatever the query."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest

from services.alerts.evaluation import RuleSpec, fetch
from services.cli import main
from services.errors import QueryError
from services.telemetry import catalogue
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

SPAN = (AT - timedelta(days=1), AT)
DUCKDB_TEXT = re.compile(
    r"\b(Binder|Catalog|Conversion|Parser|Invalid Input|Not implemented|Out of Range|Internal|Dependency|Constraint|"
    r"Serialization|Transaction|IO|Syntax|Permission|Invalid Type|Type Mismatch) Error\b|Candidate (bindings|functions)"
    r"|LINE \d+:|\b_s\d+\b|SELECT "
)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LocalTelemetrySource:
    root = tmp_path_factory.mktemp("t")
    write(root, "AppRequests", [req(m, ms=10.0 * m, Properties='{"account": "somchai"}') for m in range(1, 6)])
    write(root, "AppTraces", [{"TimeGenerated": AT - timedelta(minutes=1), "Message": "hello", "SeverityLevel": 1}])
    return LocalTelemetrySource(root)


def message(source: LocalTelemetrySource, kql: str) -> QueryError:
    with pytest.raises(QueryError) as exc:
        source.query(kql, timespan=SPAN, name="q")
    return exc.value


# (query, what the message says, line, column); the construct first, then the way to write it that runs
UNSUPPORTED = [
    ("AppRequests\n| make-series count(), percentile(DurationMs, 95) + 1 on TimeGenerated step 1h", "make-series",
     2, 24, "n = percentile(DurationMs, 95) + 1"),
    ("AppRequests | top-nested 3 of Name with others = 0 by count()", "top-nested", 1, 15, "with others"),
    ("AppRequests | top-nested 3 of bin(TimeGenerated, 1h) by count()", "top-nested", 1, 15,
     "Name = bin(TimeGenerated, 1h)"),
    ("AppRequests | top-nested of AppRoleName by count(), top-nested of Name by count(), top-nested of Url by "
     "count()", "top-nested", 1, 15, "at most two levels"),
    ("AppRequests | take toscalar(AppDependencies | count)", "take/limit with a count that is not a number literal",
     1, 20, "without reading a table"),
    ("AppRequests | evaluate narrow()", "evaluate narrow()", 1, 15, "mv-expand bagexpansion=array"),
    ("AppRequests | evaluate bag_unpack(Properties)", "evaluate bag_unpack()", 1, 15, "tostring(Properties.account)"),
    ("AppRequests | summarize buildschema(Properties)", "buildschema()", 1, 25, "mv-expand bagexpansion=array"),
    ("AppRequests | top 3 by Name, DurationMs", "`top N by` with several keys", 1, 28, "sort by a desc, b desc | take"),
    ("AppRequests | summarize count = count() by Name\n| where count > 1", "a column named count used by name", 2, 1,
     "['count']"),
    ("AppRequests | summarize count = count() by Name | order by count desc", "a column named count used by name",
     1, 49, "summarize n = count()"),
    ("let names = AppRequests | summarize make_list(Name);\nAppRequests | where Name in (names)",
     "`in`/`!in` against a tabular let holding a list", 2, 26, "toscalar("),
    ("AppRequests | partition hint.strategy=native by Name (top 1 by DurationMs)", "partition", 1, 15, "arg_max("),
    ("AppRequests | extend s = series_stats(dynamic([1, 2]))", "series_stats()", 1, 26, "bin(TimeGenerated, 1h)"),
]  # fmt: skip


def test_a_column_named_count_runs_when_quoted(source: LocalTelemetrySource) -> None:
    # the way the message gives runs, and the count operator itself is not taken for the name
    kql = "AppRequests | summarize count = count() by Name | where ['count'] > 1 | project ['count']"
    assert source.query(kql, timespan=SPAN).records() == [{"count": 5}]
    assert source.query("AppRequests | count", timespan=SPAN).records() == [{"Count": 5}]


@pytest.mark.parametrize(("kql", "construct", "line", "column", "instead"), UNSUPPORTED)
def test_an_unsupported_construct_is_named_with_its_place_and_what_to_write(
    source: LocalTelemetrySource, kql: str, construct: str, line: int, column: int, instead: str
) -> None:
    err = message(source, kql)
    where = f"q: {construct} (line {line}, column {column}) "
    assert str(err).startswith((where + "is not supported by the local engine. ", where + "cannot run on the local "
                                "engine in this form: "))  # fmt: skip
    assert instead in str(err)
    assert (err.line, err.column) == (line, column)


# names that are not in the store: the table's columns or the tables are listed
MISSING = [
    ("AppRequests | where Foo == 1", "q: AppRequests has no column Foo (line 1, column 21); columns: TimeGenerated, "),
    ("AppRequests | project Naem", "AppRequests has no column Naem (line 1, column 23) (did you mean Name?)"),
    ("AppRequests | summarize count() by Foo", "AppRequests has no column Foo (line 1, column 36)"),
    ("AppRequests | project-away Foo", "AppRequests has no column Foo (line 1, column 28)"),
    ("AppRequests | where timestamp > ago(1h)", "AppRequests has no column timestamp (line 1, column 21) "
     "(timestamp is the classic name in requests; here it is TimeGenerated)"),
    ("requests | summarize avg(DurationMs)", "requests has no column DurationMs (line 1, column 26) "
     "(its classic name is duration); columns: timestamp, id, source, name, url, success, resultCode, duration, "),
    ("AppTraces | where DurationMs > 10", "AppTraces has no column DurationMs (line 1, column 19)"),
    ("AppRequests | project Name | where DurationMs > 1", "the column DurationMs (line 1, column 36) is no longer "
     "there at that point: an earlier project, summarize, join or let left it out"),
    ("AppRequestz | take 1", "q: no table AppRequestz (line 1, column 1) (did you mean AppRequests?); tables: "
     "AppRequests, AppDependencies, "),
    ("AppRequests | join (Nope) on Name", "no table Nope (line 1, column 21); tables: AppRequests, "),
    ("union AppRequests, Nope", "no table Nope (line 1, column 20)"),
]  # fmt: skip


@pytest.mark.parametrize(("kql", "expected"), MISSING)
def test_a_name_not_in_the_store_says_so(source: LocalTelemetrySource, kql: str, expected: str) -> None:
    assert expected in str(message(source, kql))


def test_the_column_list_is_the_tables_own(source: LocalTelemetrySource) -> None:
    err = str(message(source, "AppTraces | where Foo == 1"))
    listed = err.split("; columns: ", 1)[1].rstrip(".").split(", ")
    assert listed[:3] == ["TimeGenerated", "AppRoleName", "AppRoleInstance"]
    assert "Message" in listed and "SeverityLevel" in listed and "DurationMs" not in listed


# values of the wrong type: what meets what, and the conversion to use
TYPES = [
    ("AppRequests | extend x = Name + 1", "the operator + (line 1, column 31) cannot take string and long; convert"),
    ("AppRequests | where DurationMs > 'abc'", 'the text "abc" is compared with or converted to a number'),
    ("AppRequests | where TimeGenerated > 'yesterday'", 'the text "yesterday" is not a datetime; write datetime('),
    ("AppRequests | extend x = iff(Success, TimeGenerated, 1)",
     "iff() or case() (line 1, column 26) returns long and datetime from its branches; give every branch one type"),
    ("AppRequests | where Properties > datetime(2026-01-01)", "a string is compared with a datetime"),
]  # fmt: skip


@pytest.mark.parametrize(("kql", "expected"), TYPES)
def test_values_of_the_wrong_type_say_what_to_convert(source: LocalTelemetrySource, kql: str, expected: str) -> None:
    assert expected in str(message(source, kql))


def test_a_syntax_error_keeps_its_line_and_column(source: LocalTelemetrySource) -> None:
    err = message(source, "AppRequests\n| summarize count() by")
    assert str(err) == (
        "KQL syntax error in q at line 2, column 23: mismatched input '<EOF>' expecting more here "
        "(an operator, a name or a value)"
    )
    assert (err.line, err.column) == (2, 23)


def test_columns_that_differ_only_in_case_get_a_rename_hint(source: LocalTelemetrySource) -> None:
    kql = "AppRequests | extend name = Name | project name, Name"
    err = message(source, kql)
    assert "differ only in case" in str(err) and "project-rename" in str(err)
    assert err.line == 1 and err.column and kql[err.column - 1 : err.column + 3].lower() == "name"  # one of them


BAD_FRAGMENTS = [
    "| make-series count() on TimeGenerated step 1h", "| where Foo == 1", "| extend x = Name + 1",
    "| top 3 by Name, DurationMs", "| summarize percentiles(DurationMs, 5, 50)", "| where TimeGenerated > 'x'",
    "| project-away Nope", "| take n", "| evaluate narrow()", "| join (Nope) on x", "| extend d = 1h / 3",
    "| summarize makelist(Name)", "| extend r = repeat('a', 2)", "| where DurationMs > 'abc'",
    "| summarize buildschema(Properties)", "| where notempty(Name)", "| top-nested 2 of Name by count()",
    "| extend c = columnifexists('Foo', 1)", "| where Properties > now()", "| extend t = iff(true, now(), 1)",
]  # fmt: skip
NAMES = ["Foo", "requests", "timestamp", "AppNope", "DurationMs", "duration", "Properties", "x", "TimeGenerated"]


def _filled(text: str) -> str:
    """A catalogue query with a string for every parameter: the wrong type for some of them, on purpose."""
    spans = {"start": "datetime(2026-10-31T12:00:00Z)", "end": "datetime(2026-11-01T12:00:00Z)"}
    return re.sub(r"\{([a-z_][a-z0-9_]*)\}", lambda m: spans.get(m.group(1), '"mana"'), text)


def _broken(rng: random.Random, kql: str) -> str:
    tokens = kql.split()
    kind = rng.randrange(8)
    if kind == 0:
        del tokens[rng.randrange(len(tokens))]
    elif kind == 1:
        i = rng.randrange(len(tokens))
        tokens.insert(i, tokens[i])
    elif kind == 2:
        i = rng.randrange(len(tokens) - 1)
        tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    elif kind == 3:
        names = [i for i, t in enumerate(tokens) if re.fullmatch(r"[A-Z]\w+", t)] or [0]
        tokens[rng.choice(names)] = rng.choice(NAMES)
    elif kind == 4:
        tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(BAD_FRAGMENTS))
    elif kind == 5:
        return kql[: rng.randrange(1, len(kql))]
    elif kind == 6:
        i = rng.randrange(len(kql))
        return kql[:i] + rng.choice("|()[]{}'\",;=<>!*") + kql[i + 1 :]
    else:
        return kql + "\n" + rng.choice(BAD_FRAGMENTS)
    return " ".join(tokens)


def test_no_randomly_broken_query_shows_a_duckdb_error(source: LocalTelemetrySource) -> None:
    rng = random.Random(14)
    queries = [_filled(q.text) for q in catalogue.catalogue().values()]
    refused = 0
    for _ in range(250):
        kql = _broken(rng, rng.choice(queries))
        try:
            source.query(kql, timespan=SPAN, name="q")
        except QueryError as exc:  # any other exception fails the test as it is
            refused += 1
            assert not DUCKDB_TEXT.search(str(exc)), (kql, str(exc))
            assert str(exc).startswith(("q: ", "KQL syntax error in q at line ")), (kql, str(exc))
    assert refused > 200  # most of them are broken indeed


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("AppRequests | where Foo == 1", "AppRequests has no column Foo (line 1, column 21)"),
        ("AppRequests | summarize buildschema(Name)", "buildschema() (line 1, column 25) is not supported"),
    ],
)
def test_an_alert_rule_gets_the_same_message(source: LocalTelemetrySource, query: str, expected: str) -> None:
    rule = RuleSpec(query, "Count", None, None, "GreaterThan", 5, frequency_min=5, window_min=15)
    with pytest.raises(QueryError) as exc:
        fetch(source, rule, AT, name="rule Failed logins")
    assert expected in str(exc.value) and not DUCKDB_TEXT.search(str(exc.value))


def test_the_cli_prints_one_line_without_duckdb_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kql", "AppRequests | extend x = Name + 1", "--timespan", "PT1H"]) != 0
    err = capsys.readouterr().err.strip()
    assert "the operator + (line 1, column 31) cannot take string and long" in err
    assert len(err.splitlines()) == 1 and not DUCKDB_TEXT.search(err)

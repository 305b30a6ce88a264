"""Every error that leaves the local engine, as one QueryError saying what is wrong, where, and what to write instead.

duckdb-kql refuses what it cannot translate (KqlUnsupportedError), and DuckDB refuses some of what it translated
(a column that is not there, values of two types); neither message is written for someone who wrote KQL, so none of
them reaches a page, the CLI or an alert rule as it is.
"""

from __future__ import annotations

import difflib
import logging
import re

import duckdb

from services.errors import QueryError
from services.telemetry import classic
from services.telemetry import unsupported as u
from services.telemetry.kql import syntax_message
from services.telemetry.kql_engine import duckdb_kql
from services.telemetry.kql_tree import Refused
from services.telemetry.source import without_prefix
from services.telemetry.translation import SCHEMA

log = logging.getLogger(__name__)
Position = tuple[int, int] | None

_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")
_COLUMN = re.compile(r'(?:[Cc]olumn(?: named)?|[Aa]lias with name) "([^"]+)"')
_TYPES = {"VARCHAR": "string", "STRING_LITERAL": "string", "INTEGER_LITERAL": "long", "BIGINT": "long",
          "INTEGER": "int", "DOUBLE": "real", "DECIMAL": "decimal", "TIMESTAMP WITH TIME ZONE": "datetime",
          "TIMESTAMP": "datetime", "INTERVAL": "timespan", "BOOLEAN": "bool", "JSON": "dynamic"}  # fmt: skip
_OPERATORS = {op: f"the operator {op}" for op in "+-*/%"}
_CONVERSIONS = "toint(), toreal(), tostring(), todatetime() or totimespan()"
_CONVERT = f"convert one side first with {_CONVERSIONS}"


def _where(pos: Position) -> str:
    return f" (line {pos[0]}, column {pos[1]})" if pos else ""


def _error(name: str, text: str, pos: Position = None) -> QueryError:
    return QueryError(f"{name}: {text}", query_name=name, line=pos[0] if pos else None, column=pos[1] if pos else None)


def _refusal(name: str, what: u.Unsupported, pos: Position) -> QueryError:
    instead = what.instead[:1].upper() + what.instead[1:]
    return _error(name, f"{what.label}{_where(pos)} is not supported by the local engine. {instead}.", pos)


def explain(exc: BaseException, kql: str, name: str, *, added_lines: int = 0) -> QueryError:
    """The one message for an error the engine raised on `kql` (named `name` in the message). `added_lines`: lines put
    in front of the caller's text (declared parameters), so the position named is in the text the caller wrote."""
    err = _explain(exc, kql, name)
    if not added_lines or err.line is None or err.line <= added_lines:
        return err
    line = err.line - added_lines
    text = str(err).replace(_where((err.line, err.column or 0)), _where((line, err.column or 0)), 1)
    return QueryError(text, query_name=err.query_name, line=line, column=err.column)


def _explain(exc: BaseException, kql: str, name: str) -> QueryError:
    if isinstance(exc, Refused):
        before = kql[: exc.offset]
        pos = (before.count("\n") + 1, exc.offset - before.rfind("\n"))
        return _error(
            name, f"{exc.construct}{_where(pos)} cannot run on the local engine in this form: {exc.hint}.", pos
        )
    if isinstance(exc, duckdb_kql.KqlSyntaxError):
        return syntax(exc.diagnostics, kql, name) or _error(name, f"KQL syntax error: {exc}")
    if isinstance(exc, duckdb_kql.KqlUnsupportedError):
        return _unsupported(exc, kql, name)
    if isinstance(exc, duckdb_kql.KqlSchemaError):
        return _schema(exc, kql, name)
    if isinstance(exc, duckdb.Error):
        return _duckdb(exc, kql, name)
    log.error("the local engine failed on %s", name, exc_info=exc)
    return _error(name, f"the local engine failed on this query ({type(exc).__name__}); {u.GENERIC}.")


def _unsupported(exc: duckdb_kql.KqlUnsupportedError, kql: str, name: str) -> QueryError:
    construct = exc.construct
    pos = (exc.span.line, exc.span.column + 1) if exc.span else None
    if pos is None and ":" in construct:
        pos = u.call_position(kql, construct.split(":", 1)[1])
    elif pos is None and construct.isidentifier():
        pos = u.token_position(kql, construct)
    what = u.for_construct(construct, kql, *(pos or (None, None)))
    reason = exc.hint or ""
    if what.instead == u.GENERIC and reason and not reason.startswith(("not implemented", "no DuckDB mapping")):
        # the engine refused a form of something it supports, and says why
        return _error(
            name, f"{what.label}{_where(pos)}: {reason.rstrip('.')}. {u.GENERIC[:1].upper()}{u.GENERIC[1:]}.", pos
        )
    return _refusal(name, what, pos)


def syntax(diagnostics: list[duckdb_kql.Diagnostic], kql: str, name: str) -> QueryError | None:
    """A syntax error at its line and column (None without diagnostics)."""
    if diagnostics:
        at = (diagnostics[0].span.line, diagnostics[0].span.column + 1)
        if u.top_with_keys(kql, *at):
            return _refusal(name, u.KNOWN["top by keys"], at)
        if u.count_column(kql, *at):
            return _refusal(name, u.KNOWN["count column"], at)
    return syntax_message(diagnostics, name)


def _tables() -> str:
    workspace = ", ".join(t for t in SCHEMA if t not in classic.TABLES)
    return f"tables: {workspace}; classic Application Insights names: {', '.join(classic.TABLES)}"


def _no_table(name: str, kql: str, table: str) -> QueryError:
    close = difflib.get_close_matches(table, list(SCHEMA), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    pos = u.name_position(kql, table)
    return _error(name, f"no table {table}{_where(pos)}{hint}; {_tables()}.", pos)


def _schema(exc: duckdb_kql.KqlSchemaError, kql: str, name: str) -> QueryError:
    hint = exc.hint or ""
    if hint.startswith("unknown table") or "matched no table" in hint:
        return _no_table(name, kql, exc.name)
    pair = re.search(r"columns '([^']+)' and '([^']+)' differ only in case", hint)
    if pair:
        a, b = pair.groups()
        pos = u.name_position(kql, b) or u.name_position(kql, a)  # the one the query writes, where it can be found
        return _error(
            name,
            f"the columns {a} and {b}{_where(pos)} differ only in case, which the local engine cannot keep apart; "
            f"rename one with project-rename before they meet (`project-rename {a}2 = {a}`)",
            pos,
        )
    return _error(name, f"{exc.name}: {hint or 'the local engine cannot resolve this name'}.")


def _suggestion(table: str, column: str) -> str:
    """A hint for a column that is not in `table`: its name in the other schema, or a close spelling."""
    if table in classic.TABLES:
        back = {w: c for c, w in classic.renamed(table).items()}
        if column in back:
            return f" (its classic name is {back[column]})"
    for c, (workspace, _) in classic.TABLES.items():
        if workspace == table and column in classic.renamed(c):
            return f" ({column} is the classic name in {c}; here it is {classic.renamed(c)[column]})"
    close = difflib.get_close_matches(column, SCHEMA[table], n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _no_column(name: str, kql: str, column: str) -> QueryError:
    pos = u.name_position(kql, column)
    used = u.names_used(kql, set(SCHEMA))
    lacking = [t for t in used if column not in SCHEMA[t]]
    if not used:
        return _error(name, f"no column {column}{_where(pos)}.", pos)
    if not lacking:
        return _error(
            name,
            f"the column {column}{_where(pos)} is no longer there at that point: an earlier project, summarize, join "
            "or let left it out; keep it in that operator, or use it before",
            pos,
        )
    t = lacking[0]
    return _error(
        name, f"{t} has no column {column}{_where(pos)}{_suggestion(t, column)}; columns: {', '.join(SCHEMA[t])}.", pos
    )


def _duckdb(exc: duckdb.Error, kql: str, name: str) -> QueryError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, duckdb.CatalogException):
        m = re.search(r'Table with name "?([^"!]+?)"? does not exist', first)
        if m:
            return _no_table(name, kql, m.group(1))
    if isinstance(exc, duckdb.BinderException):
        m = _COLUMN.search(first)
        if m and ("not found" in first or "referenced that exists" in first or "aliases cannot be used" in first):
            return _no_column(name, kql, m.group(1))
        if "in IN/ANY/ALL clause" in first and "[]" in first:
            return _refusal(name, u.KNOWN["in list"], u.token_position(kql, "in", "!in"))
        if "in CASE expression" in first:
            bin_at = u.call_position(kql, "bin")
            if bin_at:
                return _refusal(name, u.KNOWN["computed bin"], bin_at)
            pair = re.search(r"of type (.+?) and (.+?) in CASE", first)
            types = " and ".join(_kql_type(t) for t in pair.groups()) if pair else "values of two types"
            pos = u.call_position(kql, "iff") or u.call_position(kql, "case")
            return _error(
                name,
                f"iff() or case(){_where(pos)} returns {types} from its branches; give every branch one type.",
                pos,
            )
        m = re.search(r"argument types '([^(']+)\((.*)\)'", first) or re.search(
            r'function call "([^(]+)\((.*)\)"', first
        )
        if m:
            return _mistyped(name, kql, m.group(1), m.group(2))
        m = re.search(r"Cannot compare values of type (.+?) and type (.+?) -", first)
        if m:
            a, b = (_kql_type(t) for t in m.groups())
            return _error(
                name, f"a {a} is compared with a {b}; compare values of one type, converting with {_CONVERSIONS}."
            )
    if isinstance(exc, duckdb.ConversionException):
        return _conversion(name, first)
    if isinstance(exc, duckdb.OutOfMemoryException):
        return _error(name, "the query needs more memory than the local engine has; narrow the time range or "
                            "summarize earlier in the query.")  # fmt: skip
    if isinstance(exc, duckdb.InterruptException):
        return _error(name, "the query was interrupted before it finished; run it again or narrow the time range.")
    return _generic(name, first)


def _kql_type(duck: str) -> str:
    base = duck.strip().removesuffix("[]")
    name = _TYPES.get(re.sub(r"\(.*\)", "", base).strip(), base.lower())
    return f"{name} list" if duck.strip().endswith("[]") else name


def _mistyped(name: str, kql: str, function: str, args: str) -> QueryError:
    kinds = [_kql_type(a) for a in re.split(r",\s*(?![^(]*\))", args) if a.strip()]
    if function == "epoch" and kinds and kinds[0] in ("long", "int", "real", "decimal"):
        return _refusal(name, u.KNOWN["timespan by number"], u.token_position(kql, "/"))
    what = _OPERATORS.get(function, f"{function}()")
    pos = u.token_position(kql, function) if function in _OPERATORS else u.call_position(kql, function)
    return _error(name, f"{what}{_where(pos)} cannot take {' and '.join(kinds)}; {_CONVERT}.", pos)


def _conversion(name: str, first: str) -> QueryError:
    value = _QUOTED.search(first)
    shown = f'"{value.group(1)}"' if value else "a value"
    text = f"the text {shown}" if value else "a value"
    if "Malformed JSON" in first:
        return _error(
            name,
            "a text that is not JSON is read as dynamic (a list or a property bag), as `in` against a tabular let "
            "does; use toscalar() for a list (`let names = toscalar(T | summarize make_list(Name))`), or parse_json() "
            "on text that holds JSON.",
        )
    if "timestamp" in first.lower() or "date" in first.lower():
        return _error(name, f"{text} is not a datetime; write datetime(2026-11-01 12:00) or ago(1d).")
    if re.search(r"to (DECIMAL|DOUBLE|INT|BIGINT|FLOAT|HUGEINT|UBIGINT)", first):
        return _error(name, f"{text} is compared with or converted to a number; compare numbers with "
                            "numbers, or convert explicitly with toreal() or toint().")  # fmt: skip
    return _error(name, f"{shown} cannot be converted to the type the query needs; {_CONVERT}.")


def _generic(name: str, first: str) -> QueryError:
    cleaned = without_prefix(first).rstrip(".!")
    return _error(name, f"the local engine cannot run this query ({cleaned}); {u.GENERIC}.")

"""Parsing Serilog compact JSON (CLEF): events with `@x` become AppExceptions rows, the others AppTraces rows.

One JSON object per line: `@t` time (required), `@mt` template or `@m` rendered message, `@l` level (absent means
Information), `@x` exception text, `@i` event type id, `@r` renderings of formatted tokens, `@tr`/`@sp` trace and
span ids; every other key is a property, and `@@name` is a property literally named `@name`. A line that is not
valid CLEF is counted with its line number and skipped. The rows are column lists; clef_import writes them.
"""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from services.telemetry import clef_template

LEVELS = {"Verbose": 0, "Debug": 0, "Information": 1, "Warning": 2, "Error": 3, "Fatal": 4}
_LEVEL_ALIASES = {
    "verbose": 0,
    "trace": 0,
    "debug": 0,
    "information": 1,
    "info": 1,
    "warning": 2,
    "warn": 2,
    "error": 3,
    "fatal": 4,
    "critical": 4,
}
_FIRST = re.compile(r"^(?P<type>[A-Za-z_][\w.`+\[\],]*)(?: \([^)]*\))?(?:: (?P<msg>.*))?$")
_FRAME = re.compile(r"^\s*at (?P<method>[^(\s]+)\(")
MAX_REPORTED = 1000  # bad lines listed one by one; the count covers all of them
SDK = "serilog-clef-import"


class Refused(str):
    """A line the reader refused before parsing (too long, say); its text says why, and it is counted as bad."""


@dataclass
class ClefBatch:
    """Parsed events as column lists, ready for one to_table per table, plus the lines that were refused."""

    traces: dict[str, list[Any]] = field(default_factory=dict)
    exceptions: dict[str, list[Any]] = field(default_factory=dict)
    lines: int = 0
    bad_count: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    @property
    def good(self) -> int:
        """Events accepted."""
        return len(self.traces.get("TimeGenerated", [])) + len(self.exceptions.get("TimeGenerated", []))

    def refuse(self, where: str, why: str) -> None:
        """Count one bad line (and keep its description while the list is short)."""
        self.bad_count += 1
        if len(self.bad) < MAX_REPORTED:
            self.bad.append((where, why))


_COMMON = ("TimeGenerated", "AppRoleName", "AppRoleInstance", "OperationId", "ParentId", "Properties", "SDKVersion")
_TRACE_COLS = (*_COMMON, "Message", "SeverityLevel", "ItemCount")
_EXC_COLS = (
    *_COMMON,
    "ExceptionType",
    "Message",
    "OuterType",
    "OuterMessage",
    "InnermostType",
    "InnermostMessage",
    "Method",
    "SeverityLevel",
    "Details",
    "ItemCount",
)


def parse_exception(text: str) -> dict[str, str | None]:
    """Type, message, innermost type/message and the throwing method from .NET's Exception.ToString() text."""
    lines = text.splitlines() or [""]
    outer, _, _ = lines[0].partition(" ---> ")
    m = _FIRST.match(outer.strip())
    etype, msg = (m.group("type"), m.group("msg") or "") if m else (outer.strip().split(" ")[0], outer.strip())
    inner_type, inner_msg = etype, msg
    for line in lines:
        for chunk in line.split(" ---> ")[1:]:
            im = _FIRST.match(chunk.strip())
            if im:
                inner_type, inner_msg = im.group("type"), im.group("msg") or ""
    # the outer exception's own frames follow the last "--- End of inner exception stack trace ---"
    ends = [i for i, line in enumerate(lines) if "End of inner exception stack trace" in line]
    frames = lines[ends[-1] + 1 :] if ends else lines[1:]
    method = next((fm.group("method") for fm in map(_FRAME.match, frames) if fm), None)
    return {
        "ExceptionType": etype,
        "Message": msg,
        "InnermostType": inner_type,
        "InnermostMessage": inner_msg,
        "Method": method,
    }


def _level(value: Any) -> int | None:
    if value is None:
        return 1
    if not isinstance(value, str):
        return None
    sev = LEVELS.get(value)
    return sev if sev is not None else _LEVEL_ALIASES.get(value.lower())


def parse_lines(
    lines: Iterable[str | bytes],
    *,
    service: str,
    source: str = "",
    batch: ClefBatch | None = None,
    first_line: int = 1,
) -> ClefBatch:
    """Parse CLEF lines into column lists; bad lines are counted with `source:line` and skipped."""
    out = batch or ClefBatch()
    tr = out.traces or {c: [] for c in _TRACE_COLS}
    ex = out.exceptions or {c: [] for c in _EXC_COLS}
    out.traces, out.exceptions = tr, ex
    loads, dumps, fromiso, render = _loads, _DUMPS, datetime.fromisoformat, clef_template.render
    prefix = f"{source}:" if source else "line "
    t_time, t_role, t_inst, t_op, t_parent, t_props, t_msg, t_sev = (
        tr["TimeGenerated"],
        tr["AppRoleName"],
        tr["AppRoleInstance"],
        tr["OperationId"],
        tr["ParentId"],
        tr["Properties"],
        tr["Message"],
        tr["SeverityLevel"],
    )
    templates: dict[str, str] = {}  # a template's `,"MessageTemplate":"…"` text, encoded once
    n = first_line - 1
    for n, raw in enumerate(lines, first_line):
        if not raw or raw.isspace():
            continue
        try:
            ev, text, end = loads(raw)
        except ValueError as exc:  # the reasons are looked at only on this path: a Refused line is never JSON
            why = raw if type(raw) is Refused else "not UTF-8 text" if type(exc) is UnicodeDecodeError else "not JSON"
            out.refuse(f"{prefix}{n}", why)
            continue
        if type(ev) is not dict:
            out.refuse(f"{prefix}{n}", f"a JSON {type(ev).__name__.replace('list', 'array')}, not an object")
            continue
        t = ev.get("@t")
        if type(t) is not str:
            out.refuse(f"{prefix}{n}", "no @t timestamp" if t is None else "@t is not a string")
            continue
        try:
            ts = fromiso(t)
        except ValueError:
            out.refuse(f"{prefix}{n}", f"@t {t[:40]!r} is not an ISO-8601 time")
            continue
        if ts.tzinfo is None:
            t = ts.isoformat() + "Z"  # CLEF times are UTC; Arrow needs the zone written out
        level = ev.get("@l")
        sev = 1 if level is None else LEVELS.get(level) if type(level) is str else None
        if sev is None and (sev := _level(level)) is None:
            out.refuse(f"{prefix}{n}", f"unknown level @l {str(ev.get('@l'))[:40]!r}")
            continue
        props = {k: v for k, v in ev.items() if k[0] != "@"}
        escaped = "@@" in text
        if escaped:
            props.update({k[1:]: v for k, v in ev.items() if k[:2] == "@@"})
        message = ev.get("@m")
        mt = ev.get("@mt")
        renderings = ev.get("@r")
        if (mt is not None and type(mt) is not str) or (message is not None and type(message) is not str):
            out.refuse(f"{prefix}{n}", "@mt/@m is not a string")
            continue
        if message is None:
            message = render(mt, props, renderings if type(renderings) is list else None) if mt else ""
        role = props.get("Application")
        role = role if type(role) is str and role else service
        inst = props.get("MachineName")
        x = ev.get("@x")
        # Properties as JSON text: the line's own text of the properties when Serilog's layout allows, else encoded
        props_json = None if escaped or x is not None or not props else _properties_text(ev, props, text, end)
        if mt is not None and "MessageTemplate" not in props:
            props["MessageTemplate"] = mt  # after rendering: the template is metadata, not a property
        event_id = ev.get("@i")
        if event_id is not None and "EventType" not in props:
            props["EventType"] = event_id
        op, parent = ev.get("@tr"), ev.get("@sp")
        if x is None:
            t_time.append(t)
            t_role.append(role)
            t_inst.append(inst if type(inst) is str else None)
            t_op.append(op if type(op) is str and op else None)
            t_parent.append(parent if type(parent) is str and parent else None)
            if props_json is None:
                t_props.append(dumps(props))
            else:  # the same members as `props`: the template and event type we added go before the brace
                if mt is not None and "MessageTemplate" not in ev:
                    encoded = templates.get(mt)
                    if encoded is None:
                        encoded = templates[mt] = ',"MessageTemplate":' + dumps(mt)
                    props_json = props_json[:-1] + encoded + "}"
                if event_id is not None and "EventType" not in ev:
                    props_json = props_json[:-1] + ',"EventType":' + dumps(event_id) + "}"
                t_props.append(props_json)
            t_msg.append(message)
            t_sev.append(sev)
            continue
        if type(x) is not str:
            out.refuse(f"{prefix}{n}", "@x is not a string")
            continue
        parsed = parse_exception(x)
        ex["TimeGenerated"].append(t)
        ex["AppRoleName"].append(role)
        ex["AppRoleInstance"].append(inst if type(inst) is str else None)
        ex["OperationId"].append(op if type(op) is str and op else None)
        ex["ParentId"].append(parent if type(parent) is str and parent else None)
        props["RenderedMessage"] = message
        ex["Properties"].append(dumps(props))
        for col in ("ExceptionType", "Message", "InnermostType", "InnermostMessage", "Method"):
            ex[col].append(parsed[col])
        ex["OuterType"].append(parsed["ExceptionType"])
        ex["OuterMessage"].append(parsed["Message"])
        ex["SeverityLevel"].append(sev)
        ex["Details"].append(dumps([{"type": parsed["ExceptionType"], "message": parsed["Message"], "rawStack": x}]))
    out.lines += n - first_line + 1
    return out


_DECODER = json.JSONDecoder()
_SCAN = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # compact, as Serilog writes
_C_ENCODE = getattr(json.encoder, "c_make_encoder", None)


def _make_dumps() -> Any:
    """Compact json.dumps(ensure_ascii=False) with the C encoder built once, not once per call as json.dumps does."""
    if _C_ENCODE is None:  # pragma: no cover - CPython always has it
        return _ENCODER.encode
    enc = _C_ENCODE(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(enc(value, 0))


_DUMPS = _make_dumps()


def _properties_text(ev: dict[str, Any], props: dict[str, Any], text: str, end: int) -> str | None:
    """The properties' own JSON text when they are the line's last members (as Serilog writes them), else None.

    `,"Name":` cannot occur inside a JSON string (a quote there is always escaped), so the first property's key
    is found exactly; the slice is used only when no `@` member follows it.
    """
    first = next(iter(props))
    if next(islice(ev, len(ev) - len(props), None)) != first:  # an @ member after a property: not Serilog's layout
        return None
    at = text.find(',"' + first + '":')
    if at < 0:
        return None
    tail = text[at + 1 : end]
    return None if '"@' in tail else "{" + tail


def _loads(raw: str | bytes) -> tuple[Any, str, int]:
    """json.loads without its per-call overhead (the C scanner; only whitespace may follow): value, text, end."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8")
    start = 0 if text[:1] == "{" else len(text) - len(text.lstrip())
    try:
        value, end = _SCAN(text, start)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text) and not text[end:].isspace():
        raise ValueError("extra data after the JSON value")
    return value, text, end

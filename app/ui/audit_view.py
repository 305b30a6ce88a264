"""Audit records as people read them: nested state flattened to `field › part` lines, stored ISO times in the display
zone to the second, and one record's before and after as a diff."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from services import audit
from services.audit.models import AuditRecord

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
SEP = " › "
SHORT = 40  # list items up to this long are shown on one line, joined by commas


def words(name: str) -> str:
    """A stored name in words: `latest_version` → `latest version`."""
    return name.replace("_", " ")


def shown(value: Any) -> Any:
    """One stored value as text (None stays None: the service shows it as an em dash); an ISO time in the display
    zone, a float to six significant digits, true/false as yes/no, "" as (empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == "":
        return "(empty)"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str) and ISO_TIME.match(value):
        at = datetime.fromisoformat(value)
        return fmt.when(at if at.tzinfo else at.replace(tzinfo=UTC))  # stored times are UTC
    return value


def flat(state: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """A record's state as one entry per leaf: `files 1 › name`; a short list of plain values on one line."""
    out: dict[str, Any] = {}
    for key, value in (state or {}).items():
        name = prefix + words(str(key))
        if isinstance(value, dict):
            out |= flat(value, name + SEP) if value else {name: "none"}
        elif isinstance(value, list):
            plain = all(not isinstance(v, dict | list) for v in value)
            if not value:
                out[name] = "none"
            elif plain and all(len(str(v)) <= SHORT for v in value):
                out[name] = ", ".join(str(shown(v)) for v in value)
            else:
                out |= flat({str(i): v for i, v in enumerate(value, 1)}, name + " ")
        else:
            out[name] = shown(value)
    return out


def summary(rec: AuditRecord) -> str:
    """The record's changes on one line, `field: old → new; …` (the service's wording over the flattened state)."""
    lines = audit.changes(flat(rec.before), flat(rec.after))
    return "; ".join(line.replace("\n", " ↵ ") for line in lines)


def _lines(sign: str, field: str, value: Any) -> list[str]:
    text = "—" if value is None else str(value)
    first, *rest = text.split("\n")
    return [f"{sign} {field}: {first}", *(f"{sign} {' ' * len(field)}  {more}" for more in rest)]


def diff_lines(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """`- field: old` and `+ field: new` per field the record changed: only `+` on a creation, `-` on a deletion."""
    old, new = flat(before), flat(after)
    out: list[str] = []
    for field in [*old, *(k for k in new if k not in old)]:
        if before is not None and after is not None and old.get(field) == new.get(field):
            continue
        if before is not None and field in old:
            out += _lines("-", field, old[field])
        if after is not None and field in new:
            out += _lines("+", field, new[field])
    return out


def record_label(rec: AuditRecord) -> str:
    """A record in a picker: its number, action, entity and time."""
    return f"{rec.id} · {rec.action} · {words(rec.entity)} {rec.entity_id or ''}".rstrip() + f" · {fmt.when(rec.at)}"


def records_table(records: list[AuditRecord]) -> None:
    """Newest first: who did what to which entity, and the fields it changed."""
    rows = [
        {
            "record": r.id,
            "when": fmt.when(r.at),
            "who": f"{r.actor} ({r.role})",
            "os user": r.os_user or "",
            "action": r.action,
            "entity": f"{words(r.entity)} {r.entity_id or ''}".strip(),
            "changes": summary(r),
        }
        for r in records
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={  # pixels that fit each column's longest usual value; the changes take the rest
            "record": st.column_config.NumberColumn("record", format="%d", width=60),
            "when": st.column_config.TextColumn("when", width=165),
            "who": st.column_config.TextColumn("who", width=130),
            "os user": st.column_config.TextColumn("os user", width=80),
            "action": st.column_config.TextColumn("action", width=140),
            "entity": st.column_config.TextColumn("entity", width=120),
            "changes": st.column_config.TextColumn("changes (field: before → after)", width="large"),
        },
    )


def record_diff(records: list[AuditRecord]) -> None:
    """Pick a record, read its before and after as a diff."""
    by_id = {r.id: r for r in records}
    chosen = st.selectbox(
        "Before and after of record", list(by_id), format_func=lambda i: record_label(by_id[i]), key="audit.record"
    )
    rec = by_id[chosen]
    lines = diff_lines(rec.before, rec.after)
    if not lines:
        st.info("This record stored no state: the action itself is the change.")
        return
    what = "created" if rec.before is None else "deleted" if rec.after is None else "changed"
    st.caption(
        f"{rec.actor} ({rec.role}) {what} {words(rec.entity)} {rec.entity_id or ''} at {fmt.when(rec.at)}: "
        "− before, + after; only the fields it changed."
    )
    st.code("\n".join(lines), language="diff", wrap_lines=True)

"""The gate template: the current version's items, editable by leads into a new version; every version with how
many features use it; the data checks an item can name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from app.feature_data import clear_feature_caches
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.features import service as features
from services.features.phases import PHASE_KEYS, PHASE_NAMES
from services.features.template import DATA_CHECKS

COLUMNS = ["key", "phase", "title", "kind", "check", "required", "evidence_required"]
FLASH = "gate_template.flash"


@dataclass(frozen=True)
class TemplateVersion:
    """One stored version of the template, as listed."""

    version: int
    created_at: datetime
    created_by: str
    note: str
    features: int


@dataclass(frozen=True)
class Templates:
    """The current version's items and every version."""

    current: int
    items: tuple[dict[str, Any], ...]
    versions: tuple[TemplateVersion, ...]


def load(actor: Actor) -> Templates:
    """Read the template versions as plain values (a few rows; read fresh so a save shows at once)."""
    with session_scope() as s:
        t = features.current_template(s, actor=actor)
        current, items = t.version, tuple(dict(i) for i in t.items)
        versions = tuple(
            TemplateVersion(v.version, v.created_at, v.created_by, v.note, n)
            for v, n in features.list_templates(s, actor=actor)
        )
    return Templates(current, items, versions)


def _cell(value: object) -> object:
    """A data-editor cell as the service wants it: blanks and NaN as None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.strip() or None if isinstance(value, str) else value


def rows_to_items(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The edited rows as template items; a row added and left blank is dropped."""
    out = []
    for row in frame.to_dict("records"):
        cells = {c: _cell(row.get(c)) for c in COLUMNS}
        if not any(cells[c] for c in ("key", "phase", "title", "kind", "check")):
            continue
        text = {c: cells[c] or "" for c in ("key", "phase", "title", "kind")}
        flags = {c: bool(cells[c]) for c in ("required", "evidence_required")}
        out.append({**text, "check": cells["check"], **flags})
    return out


def flash() -> None:
    """The save made on the previous run."""
    if message := st.session_state.pop(FLASH, None):
        st.success(inert(message))


def template_editor(actor: Actor, templates: Templates) -> None:
    """The current version's items: a data editor and Save for leads, the same table read-only for everyone else."""
    editable = can(actor, "gate.template_edit")
    frame = pd.DataFrame(list(templates.items), columns=COLUMNS)
    st.markdown(f"**Version {templates.current}** · {len(templates.items)} items")
    edited = st.data_editor(
        frame,
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        hide_index=True,
        width="stretch",
        height=38 + 35 * (len(templates.items) + 2),  # every row and the one to add, without a scroll bar
        key=f"gate_template.items.{templates.current}",
        column_config={
            "key": st.column_config.TextColumn("key", help="phase.name, lower case", required=True),
            "phase": st.column_config.SelectboxColumn("phase", options=list(PHASE_KEYS), required=True),
            "title": st.column_config.TextColumn("title", width="large", required=True),
            "kind": st.column_config.SelectboxColumn("kind", options=["data", "sign-off"], required=True),
            "check": st.column_config.SelectboxColumn("check", options=list(DATA_CHECKS), help="data items only"),
            "required": st.column_config.CheckboxColumn("required", default=True),
            "evidence_required": st.column_config.CheckboxColumn("evidence required", default=False),
        },
    )
    if not editable:
        st.caption("Read-only: leads edit the gate template.")
        return
    note = st.text_input("What changed and why", key=f"gate_template.note.{templates.current}")
    if st.button("Save as a new version", key=f"gate_template.save.{templates.current}", type="primary"):
        with shown_errors("saving the gate template"):
            with session_scope() as s:
                new = features.save_template(
                    s, actor=actor, items=rows_to_items(edited), note=note, expected_version=templates.current
                )
                saved = new.version
            clear_feature_caches()
            st.session_state[FLASH] = f"Version {saved} saved; features on older versions keep theirs."
            st.rerun()


def versions_table(templates: Templates) -> None:
    """Every version, newest first, with how many features use it."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "version": v.version,
                    "saved": fmt.when(v.created_at),
                    "by": v.created_by,
                    "note": v.note,
                    "features": v.features,
                }
                for v in templates.versions
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def data_checks() -> None:
    """The checks a data item can name, with what each asks of the data."""
    st.markdown("\n".join(f"- **{inert(name)}**: {inert(text)}" for name, text in DATA_CHECKS.items()))
    st.caption("Phases: " + ", ".join(f"{k} ({n})" for k, n in PHASE_NAMES.items()))

"""One stub-set version: what production showed beside the stubs that answer it, the stubs, the export, the editor."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.stub_data import VersionView
from app.ui.errors import shown_errors
from app.ui.format import when
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.stubs import build
from services.stubs import service as stub_service

KEY = "stubs"
URL_KEYS = ("urlPathTemplate", "urlPath", "url", "urlPattern", "urlPathPattern")


def open_next(set_id: int | None, version: int | None, message: str) -> None:
    """Rerun the page at this set and version (None: the first set), saying what was done. The selectboxes are
    already drawn in this run, so the choice is handed to the next one (st.rerun ends this run; it is no error)."""
    st.session_state[f"{KEY}.open"] = (set_id, version)
    st.session_state[f"{KEY}.done"] = message
    st.rerun()


def apply_open() -> None:
    """At the top of the page, before its selectboxes: open what the last action asked for, and say what it did."""
    if f"{KEY}.open" in st.session_state:
        set_id, version = st.session_state.pop(f"{KEY}.open")
        for key, value in ((f"{KEY}.set", set_id), (f"{KEY}.version", version)):
            if value is None:
                st.session_state.pop(key, None)
            else:
                st.session_state[key] = value
    if done := st.session_state.pop(f"{KEY}.done", None):
        st.toast(done, icon=":material/check_circle:")


def summary(v: VersionView, name: str) -> None:
    """Who made the version, how, over which window."""
    how = {"telemetry": "built from production telemetry", "upload": "uploaded", "edit": "edited"}[v.origin]
    window = f" over {when(v.window[0])} – {when(v.window[1])}" if v.window else ""
    note = f" Note: {v.note}" if v.note else ""  # the author's words, as typed
    st.caption(inert(f"Version {v.version}: {how}{window} by {v.created_by} at {when(v.created_at)}.{note}"))
    share = v.coverage.share
    c1, c2, c3 = st.columns(3)
    c1.metric("Stubs", len(v.mappings))
    c2.metric("Behaviours seen in production", len(v.coverage.rows))
    c3.metric(
        "Covered", "—" if share is None else f"{share:.0%}", help="behaviours some stub answers ÷ behaviours seen"
    )
    st.download_button(
        "Download mappings/*.json (zip)",
        v.archive,
        file_name=f"{name.lower()}-stubs-v{v.version}.zip",
        mime="application/zip",
        icon=":material/download:",
        key=f"{KEY}.download",
    )


def coverage_table(v: VersionView) -> None:
    """Each observed behaviour, its calls and latency, and the stubs that answer it."""
    if not v.coverage.rows:
        st.info("This version was uploaded to a new set: no production behaviour to compare it with yet.")
        return
    how = {str(m.get("name") or m.get("id")): _selected_by(m) for m in v.mappings}
    rows = [
        {
            "request": f"{r.observation.method} {r.observation.path}",
            "behaviour": r.observation.behaviour.words,
            "calls": r.observation.calls,
            "median (ms)": round(r.observation.latency.median_ms, 1),
            "sigma": round(r.observation.latency.sigma, 3),
            "slowest (ms)": round(r.observation.latency.max_ms, 1),
            "covered": r.covered,
            "answered by": "; ".join(how.get(name, name) for name in r.stubs) or "no stub",
        }
        for r in v.coverage.rows
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "calls": st.column_config.NumberColumn(format="%d"),
            "answered by": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(
        "median = e^(mean of ln duration), sigma = standard deviation of ln duration: the lognormal a default stub's "
        "delayDistribution uses. A timeout is covered by a stub that waits at least 90 % of production's wait."
    )
    if v.coverage.unseen:
        st.caption(inert("Stubs for nothing production showed: " + "; ".join(v.coverage.unseen)))


def _answer(m: dict[str, Any]) -> str:
    r = m.get("response") or {}
    if r.get("fault"):
        return f"fault {r['fault']}"
    delay = r.get("delayDistribution")
    wait = (
        f", lognormal median {delay.get('median')} ms σ {delay.get('sigma')}"
        if delay and delay.get("type") == "lognormal"
        else f", {r['fixedDelayMilliseconds']} ms"
        if r.get("fixedDelayMilliseconds") is not None
        else ""
    )
    return f"{r.get('status', 200)}{wait}"


def _selected_by(m: dict[str, Any]) -> str:
    headers = (m.get("request") or {}).get("headers") or {}
    if build.SELECT_HEADER in headers:
        return f"{build.SELECT_HEADER}: {headers[build.SELECT_HEADER].get('equalTo', '…')}"
    if m.get("requiredScenarioState"):
        return f"scenario {m.get('scenarioName')} = {m['requiredScenarioState']}"
    return "default"


def stubs_table(v: VersionView) -> None:
    """The stubs: request, answer, how a test selects it."""
    rows = []
    for m in v.mappings:
        req = m.get("request") or {}
        url = next((str(req[k]) for k in URL_KEYS if k in req), "any URL")
        row = {"priority": m.get("priority"), "method": req.get("method", "ANY"), "url": url}
        rows.append({**row, "answer": _answer(m), "selected by": _selected_by(m), "name": m.get("name", "")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def editor(actor: Actor, v: VersionView, name: str) -> None:
    """The version's JSON, editable by developers: saving makes the next version."""
    with st.expander("Mappings JSON" + (" (edit to save a new version)" if can(actor, "stub.write") else "")):
        text = st.text_area("Mappings", v.text, height=400, key=f"{KEY}.json.{v.set_id}.{v.version}")
        if not can(actor, "stub.write"):
            return
        note = st.text_input("What changed", key=f"{KEY}.edit.note", placeholder="added DOPA's response body")
        if st.button("Save as a new version", key=f"{KEY}.edit.save", disabled=text == v.text):
            with shown_errors("saving the mappings"):
                with session_scope() as s:
                    saved = stub_service.edit(
                        s, actor=actor, set_id=v.set_id, base_version=v.version, mappings_json=text, note=note
                    )
                    number = saved.version
                open_next(v.set_id, number, f"Saved {name} version {number}.")


def delete_button(actor: Actor, set_id: int, name: str) -> None:
    """Delete the set with every version (leads), after a confirmation."""
    if not can(actor, "stub.delete"):
        return
    with st.popover("Delete this set", icon=":material/delete:"):
        st.write(inert(f"Delete {name} and every version of it? Exported folders keep working."))
        if st.button("Delete", type="primary", key=f"{KEY}.delete"):
            with shown_errors("deleting the stub set"):
                with session_scope() as s:
                    stub_service.delete_set(s, actor=actor, set_id=set_id)
                open_next(None, None, f"Deleted {name}.")

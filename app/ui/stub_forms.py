"""The WireMock stubs page's forms: build a version from production telemetry, upload mapping JSON."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from app.resources import telemetry_source
from app.stub_data import targets
from app.ui.errors import shown_errors
from app.ui.stub_detail import open_next
from services.auth import Actor, can
from services.db import session_scope, utcnow
from services.stubs import service as stub_service

KEY = "stubs"


def _default_name(target: str) -> str:
    return "DOPA" if "dopa" in target.lower() else target.split(".")[0] if target else ""


def build_form(actor: Actor) -> None:
    """Build a new version from how a dependency answered in production."""
    with st.expander("Build from production telemetry", icon=":material/auto_fix_high:", expanded=False):
        st.caption(
            "One stub per request shape (method and path, ids as {id}) and behaviour seen in AppDependencies: the "
            "busiest good answer by default, with its observed latency; every status, timeout and broken connection "
            "selectable by header or scenario. Bodies are not in telemetry: add them by editing the new version."
        )
        days = st.number_input("Window (days back from now)", 1, 90, 7, key=f"{KEY}.days")
        end = utcnow().replace(second=0, microsecond=0)
        start = end - timedelta(days=int(days))
        with shown_errors("listing the dependencies called"):
            called = targets(actor, actor.role, start, end)
            options = [str(t) for t in called["Target"]] if len(called) else []
            if not options:
                st.info("No HTTP dependency was called in that window; widen it, or upload a mapping file below.")
                return
            labels: dict[str, str] = {
                str(r["Target"]): f"{r['Target']} · {int(r['calls']):,} calls, {int(r['failed']):,} failed"
                for r in called.to_dict("records")
            }
            target = str(
                st.selectbox("Dependency target", options, format_func=lambda t: labels.get(t, t), key=f"{KEY}.target")
            )
            name = st.text_input("Set name", value=_default_name(target), key=f"{KEY}.name.{target}")
            note = st.text_input("Note", key=f"{KEY}.note", placeholder="why this version")
            if st.button("Build stubs", type="primary", key=f"{KEY}.build"):
                with session_scope() as s:
                    v = stub_service.build_from_telemetry(
                        s, telemetry_source(), actor=actor, name=name, target=target, start=start, end=end,
                        note=note,
                    )  # fmt: skip
                    set_id, number, count = v.set_id, v.version, len(v.mappings)
                open_next(set_id, number, f"Built {name} version {number}: {count} stubs from {days} days of {target}.")


def upload_form(actor: Actor) -> None:
    """Upload WireMock or WireMock.Net mapping JSON (or a zip of mappings/) as a new version."""
    with st.expander("Upload mappings", icon=":material/upload_file:", expanded=False):
        st.caption(
            "WireMock's JSON (one mapping, a list, or what GET /__admin/mappings returns), a zip of a mappings/ "
            "folder, or WireMock.Net's JSON (converted; a field with no counterpart is named). Up to 10 MB."
        )
        up = st.file_uploader("Mapping file", type=["json", "zip"], key=f"{KEY}.upload", max_upload_size=10)
        c1, c2 = st.columns(2)
        name = c1.text_input("Set name", key=f"{KEY}.upload.name", placeholder="DOPA")
        target = c2.text_input("Target (for a new set)", key=f"{KEY}.upload.target", placeholder="api.dopa.go.th")
        if st.button("Upload", type="primary", key=f"{KEY}.upload.go", disabled=up is None):
            with shown_errors("reading the mapping file"):
                assert up is not None
                with session_scope() as s:
                    v = stub_service.upload(
                        s, actor=actor, name=name, target=target, file_name=up.name, data=up.getvalue()
                    )
                    set_id, number, count = v.set_id, v.version, len(v.mappings)
                open_next(set_id, number, f"Stored {name} version {number}: {count} stubs from {up.name}.")


def forms(actor: Actor) -> None:
    """The forms for developers; a one-line note for everyone else."""
    if not can(actor, "stub.write"):
        role = actor.role.capitalize()
        st.caption(f"{role}s read stub sets here; building or uploading one needs the developer role.")
        return
    build_form(actor)
    upload_form(actor)

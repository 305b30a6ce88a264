"""The postmortem editor: sections, impact from telemetry, review and publish, Markdown download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from app.resources import board, telemetry_source
from app.ui.errors import shown_errors
from app.ui.format import when
from app.ui.safe import inert, inert_link
from app.ui.timerange import custom_range
from app.ui.zone import zone_name
from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from services.postmortems import service as postmortems

# the button for each move the service allows (services.postmortems.service.MOVES)
MOVE_LABEL = {"in_review": "Send to review", "draft": "Back to draft", "published": "Publish"}


FIGURE_LABEL = {
    "requests": "Requests in scope",
    "failed": "Failed requests",
    "slow": "Slow requests",
    "users": "Affected users",
    "accounts": "Affected accounts",
}


def show_impact(imp: dict[str, Any]) -> None:
    """The incident's figures (its signature) beside the whole service's, with the budget formula."""
    if not imp:
        st.info("Impact not computed yet: it is counted from telemetry for the incident's window and signature.")
        return
    if "incident" not in imp:  # stored before impact was counted per signature
        st.warning("This impact was counted for the whole service only; compute it again for the incident's own.")
        mine = all_ = {k: imp.get(k, 0) for k in FIGURE_LABEL}
    else:
        mine, all_ = imp["incident"], imp["service_wide"]
    c = st.columns(4)
    for col, k in zip(c, ("failed", "slow", "users", "accounts"), strict=True):
        col.metric(FIGURE_LABEL[k], f"{mine.get(k, 0):,}", help=f"The whole service: {all_.get(k, 0):,}")
    sig = ", ".join(f"{k.replace('_', ' ')} = {v}" for k, v in imp.get("signature", {}).items())
    st.caption(
        inert(
            f"Window {_when(imp['window_start'])} → {_when(imp['window_end'])}. Signature: "
            + (sig or "none recorded, so every request of the service counts")
            + ". A request counts when it is of the incident's operation (if one is recorded) and shows one of "
            "its marks: the result code, a failed call to the dependency, or an exception of the type in the same "
            f"operation. Slow = at least {imp.get('threshold_ms', 300):g} ms."
        )
    )
    st.dataframe(
        pd.DataFrame(
            [
                {"figure": label, "this incident": mine.get(k, 0), "the whole service": all_.get(k, 0)}
                for k, label in FIGURE_LABEL.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Budget burned = bad requests in the window / allowed bad requests over the SLO window ending at the "
        "window's end."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "SLO": x["slo"],
                    "bad (this incident)": x["bad"],
                    "budget burned": _pct(x["burned"]),
                    "bad (whole service)": x.get("service_bad", x["bad"]),
                    "budget burned (whole service)": _pct(x.get("service_burned", x["burned"])),
                    "formula": x["formula"],
                }
                for x in imp.get("slos", [])
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _when(iso: str) -> str:
    return when(datetime.fromisoformat(iso))


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def impact_window(inc: dict[str, Any], pid: int) -> tuple[datetime | None, datetime | None]:
    """The incident's own window (None, None: detected → resolved), or the one the user adjusted it to."""
    end = inc["resolved_at"]
    own = f"resolved {when(end)}" if end else "now (not resolved yet)"
    st.caption(f"The incident's own window: detected {when(inc['detected_at'])} → {own}.")
    if not st.toggle("Adjust the window", key=f"pm.window.adjust.{pid}"):
        return None, None
    tz = zone_name()
    # the inputs hold whole minutes: start at the detected minute, end at the minute after resolution
    start_local = inc["detected_at"].astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0)
    end_exact = (end or datetime.now(UTC)).astimezone(ZoneInfo(tz))
    end_local = end_exact.replace(second=0, microsecond=0)
    end_local += timedelta(minutes=1) if end_local < end_exact else timedelta(0)
    c = st.columns(4)
    sd = c[0].date_input("From (date)", start_local.date(), key=f"pm.window.from_day.{pid}")
    stime = c[1].time_input("From (time)", start_local.time(), key=f"pm.window.from_time.{pid}", step=60)
    ed = c[2].date_input("To (date)", end_local.date(), key=f"pm.window.to_day.{pid}")
    etime = c[3].time_input("To (time)", end_local.time(), key=f"pm.window.to_time.{pid}", step=60)
    st.caption(f"Times in {tz}.")
    return custom_range(sd, stime, ed, etime, tz)


def postmortem_editor(actor: Actor, incident_id: int) -> None:
    """Edit one incident's postmortem."""
    with session_scope() as s:
        inc = incidents.get_incident(s, actor=actor, incident_id=incident_id).as_dict()
        pm = postmortems.get_for_incident(s, actor=actor, incident_id=incident_id)
        data = pm.as_dict() if pm else None
        md = postmortems.to_markdown(pm, inc) if pm else ""
    if data is None:
        st.info("This incident has no postmortem yet.")
        if st.button("Start the postmortem", key=f"pm.start.{incident_id}", type="primary"):
            with shown_errors("starting the postmortem"):
                with session_scope() as s:
                    postmortems.ensure_postmortem(s, actor=actor, incident_id=incident_id)
                st.rerun()
        return
    pid, version, ro = data["id"], data["version"], data["status"] == "published"
    st.caption(f"Status **{data['status']}** · version {version} · blameless: systems and decisions, not people.")
    st.subheader("Impact", divider="gray")
    show_impact(data["impact"])
    if not ro:
        start, end = impact_window(inc, pid)
        if st.button("Compute impact from telemetry (adds telemetry markers to the timeline)", key=f"pm.impact.{pid}"):
            with shown_errors("computing the impact"):
                with session_scope() as s:
                    postmortems.record_impact(
                        s,
                        actor=actor,
                        postmortem_id=pid,
                        source=telemetry_source(),
                        expected_version=version,
                        start=start,
                        end=end,
                    )
                st.rerun()
    with st.form(f"pm.form.{pid}"):
        summary = st.text_area("Summary", data["summary"], disabled=ro)
        timeline = st.data_editor(
            pd.DataFrame(data["timeline"] or [], columns=["at", "text"]),
            num_rows="dynamic",
            key=f"pm.timeline.{pid}",
            disabled=ro,
            width="stretch",
        )
        root = st.text_area("Root cause", data["root_cause"], disabled=ro)
        whys = [
            st.text_input(f"Why {i + 1}?", (data["five_whys"] + [""] * 5)[i], disabled=ro, key=f"pm.why.{pid}.{i}")
            for i in range(5)
        ]
        factors = st.text_area("Contributing factors", data["contributing_factors"], disabled=ro)
        well = st.text_area("What went well", data["went_well"], disabled=ro)
        items = st.data_editor(
            pd.DataFrame(data["action_items"] or [], columns=["text", "owner", "done"]),
            num_rows="dynamic",
            key=f"pm.items.{pid}",
            disabled=ro,
            width="stretch",
        )
        saved = st.form_submit_button("Save", type="primary", disabled=ro)
    if saved:
        fields = {
            "summary": summary,
            "root_cause": root,
            "five_whys": whys,
            "contributing_factors": factors,
            "went_well": well,
            "timeline": [
                {"at": str(r["at"] or ""), "text": str(r["text"] or "")}
                for r in timeline.to_dict("records")
                if str(r.get("text") or "").strip()
            ],
            "action_items": [
                {"text": str(r["text"] or ""), "owner": str(r.get("owner") or ""), "done": bool(r.get("done"))}
                for r in items.to_dict("records")
                if any(str(v or "").strip() for v in (r.get("text"), r.get("owner")))
            ],
        }
        with shown_errors("saving the postmortem"):
            with session_scope() as s:
                postmortems.update_postmortem(
                    s, actor=actor, postmortem_id=pid, fields=fields, expected_version=version
                )
            st.rerun()
    open_items = [(i, a) for i, a in enumerate(data["action_items"] or []) if not a.get("board_issue_url")]
    linked = [a for a in data["action_items"] or [] if a.get("board_issue_url")]
    for a in linked:
        st.markdown(f"- {inert(a['text'])}: {inert_link('board issue', a['board_issue_url'])}")
    if open_items:
        c1, c2 = st.columns([3, 1])
        pick = c1.selectbox(
            "Action item to put on the board",
            [i for i, _ in open_items],
            key=f"pm.ai.{pid}",
            format_func=lambda i: f"{i + 1}. {data['action_items'][i]['text']}",
        )
        if c2.button("Create board issue", key=f"pm.ai.open.{pid}"):
            with shown_errors("creating the board issue"):
                client = board()
                if client is None:
                    st.warning("No board is configured (SRE_BOARD=none).")
                else:
                    with session_scope() as s:
                        incident_response.open_action_item_issue(
                            s, actor=actor, postmortem_id=pid, index=pick, board=client
                        )
                    st.rerun()
    cols = st.columns(3)
    for col, to in zip(cols, postmortems.MOVES[data["status"]], strict=False):
        label = MOVE_LABEL[to]
        if col.button(label, key=f"pm.move.{pid}.{to}"):
            with shown_errors(label.lower()):
                with session_scope() as s:
                    postmortems.move_postmortem(s, actor=actor, postmortem_id=pid, to=to)
                st.rerun()
    cols[-1].download_button(
        "Download Markdown",
        md,
        file_name=f"postmortem-incident-{incident_id}.md",
        mime="text/markdown",
        key=f"pm.md.{pid}",
    )

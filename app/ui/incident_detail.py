"""One incident on the triage page: state, claim/assign, moves, classification with the protocol, notes, timeline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.resources import board
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.incident_actions import act, moves, open_next, postmortem_link
from app.ui.safe import inert, inert_link
from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.incidents import board_issues, runbooks
from services.incidents import service as incidents
from services.incidents.severities import definitions
from services.incidents.workflow import PROTOCOL, TRANSITIONS
from services.postmortems import service as postmortems


def board_links(actor: Actor, incident_id: int) -> None:
    """The incident's board issues with their state, refreshed from the board on demand."""
    with session_scope() as s:
        found = [
            (x.id, x.purpose, x.provider, x.key, x.url, x.state, x.refreshed_at)
            for x in board_issues.links(s, actor=actor, incident_id=incident_id)
        ]
    for link_id, purpose, provider, key, url, state, refreshed in found:
        c1, c2 = st.columns([4, 1])
        c1.markdown(
            f"**Board issue** ({inert(purpose)}): {inert_link(f'{provider} {key}', url)} · state **{inert(state)}** · "
            f"checked {fmt.when(refreshed)}"
        )
        if c2.button("Refresh state", key=f"triage.board.refresh.{link_id}"):
            with shown_errors("reaching the board"):
                client = board()
                if client is None:
                    st.warning("No board is configured (SRE_BOARD=none), so the state cannot be refreshed.")
                else:
                    with session_scope() as s:
                        board_issues.refresh(s, actor=actor, link_id=link_id, board=client)
                    open_next(incident_id, "Done: refresh the board issue.")


def runbook_checklist(actor: Actor, incident_id: int) -> None:
    """The matching runbook's steps as checkboxes; each tick goes to the timeline."""
    with session_scope() as s:
        view = runbooks.runbook_for(s, actor=actor, incident_id=incident_id)
    if view is None:
        st.warning(
            "No runbook matches this incident's signature (service, operation, exception type, result "
            "code, dependency). Reclassify, or ask a lead to write one."
        )
        return
    st.markdown(
        f"**Runbook: {inert(view.title)}** (v{view.version}; matches "
        + ", ".join(inert(f"{k}={v}") for k, v in view.signature.items() if v)
        + ")"
    )
    for i, (step, done) in enumerate(zip(view.steps, view.done, strict=True)):
        ticked = st.checkbox(inert(f"{i + 1}. {step}"), value=done, key=f"triage.rb.{incident_id}.{view.id}.{i}.{done}")
        if ticked != done:
            act(
                f"{'tick' if ticked else 'untick'} step {i + 1}",
                runbooks.tick_step,
                actor=actor,
                incident_id=incident_id,
                runbook_id=view.id,
                step=i,
                done=ticked,
            )
    if all(view.done):
        st.success("Every step is done: resolve the incident when the SLI has recovered.")


def incident_detail(actor: Actor, incident_id: int) -> None:
    """Render and act on one incident; every change carries the version the user saw."""
    with session_scope() as s:
        inc = incidents.get_incident(s, actor=actor, incident_id=incident_id).as_dict()
        events = [
            (e.at, e.actor, e.kind, e.message) for e in incidents.timeline(s, actor=actor, incident_id=incident_id)
        ]
        defs = {k: (d.scope, d.ack_target_minutes) for k, d in definitions(s, actor=actor).items()}
        pm = postmortems.get_for_incident(s, actor=actor, incident_id=incident_id)
        pm_status = pm.status if pm else None
    # act with the version shown on the previous run (what the user saw when clicking), not the one just reloaded
    seen_key = f"triage.seen.{incident_id}"
    v = st.session_state.get(seen_key, inc["version"])
    st.session_state[seen_key] = inc["version"]
    st.subheader(inert(f"#{inc['id']} · {inc['severity']} · {inc['title']}"))
    st.caption(
        inert(
            f"{inc['service']} · {inc['status']} · classified {inc['classification']} · "
            f"assignee {inc['assignee'] or 'nobody'} · source {inc['source']} · version {inc['version']}"
        )
    )
    times = {
        "detected": inc["detected_at"],
        "acknowledged": inc["acknowledged_at"],
        "mitigated": inc["mitigated_at"],
        "resolved": inc["resolved_at"],
        "closed": inc["closed_at"],
    }
    st.markdown(" · ".join(f"**{k}** {fmt.when(t)}" for k, t in times.items() if t))

    if pm_status:
        postmortem_link(incident_id, f"Postmortem ({pm_status.replace('_', ' ')})")
    moves(actor, inc, TRANSITIONS[inc["status"]], v)

    left, right = st.columns([1, 1])
    with left:
        choice = st.radio(
            "Classify by the protocol",
            list(PROTOCOL),
            index=list(PROTOCOL).index(inc["classification"]),
            key=f"triage.class.{incident_id}",
            horizontal=True,
        )
        st.info(PROTOCOL[choice].summary, icon=":material/rule:")
        if st.button("Classify", key=f"triage.classify.{incident_id}", type="primary"):
            with shown_errors("reaching the board"):
                act(
                    f"classify as {choice}",
                    incident_response.classify,
                    actor=actor,
                    incident_id=incident_id,
                    classification=choice,
                    expected_version=v,
                    board=board() if PROTOCOL[choice].board_issue else None,
                )
    with right:
        st.markdown("**Severity scope** (the team's definitions)")
        st.markdown("\n".join(f"- **{k}** (acknowledge within {d[1]} min): {inert(d[0])}" for k, d in defs.items()))

    if inc["operation_ids"]:
        st.markdown("**Operations**: " + inert(", ".join(inc["operation_ids"])))
    if inc["evidence_kql"]:
        st.markdown("**Evidence** (run it on the Logs page):")
        st.code(inc["evidence_kql"], language="sql")
        st.page_link("../pages/logs.py", label="Open Logs (KQL)", icon=":material/manage_search:")
    board_links(actor, incident_id)
    if inc["classification"] == "protocol":
        runbook_checklist(actor, incident_id)

    note = st.text_area("Add a note to the timeline", key=f"triage.note.{incident_id}")
    if st.button("Add note", key=f"triage.addnote.{incident_id}"):
        act("add the note", incidents.add_note, actor=actor, incident_id=incident_id, text=note)
    st.markdown("**Timeline**")
    st.dataframe(
        pd.DataFrame([{"when": fmt.when(a), "who": who, "what": kind, "message": m} for a, who, kind, m in events]),
        hide_index=True,
        width="stretch",
    )

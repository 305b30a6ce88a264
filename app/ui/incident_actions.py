"""Acting on one incident from the triage page: every action reruns the page on the same incident and says what it
did; resolving links the postmortem it opened, and asks for a reason first when it skips something."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.ui.errors import shown_errors
from app.ui.safe import inert
from services import incident_response
from services.auth import Actor, can
from services.db import session_scope
from services.incidents import service as incidents
from services.postmortems import service as postmortems

KEY = "triage"
POSTMORTEMS_PAGE = "../pages/postmortems.py"
MOVE_LABEL = {
    "acknowledged": "Acknowledge",
    "mitigating": "Start mitigating",
    "resolved": "Resolve",
    "closed": "Close",
    "new": "Reopen",
}


def open_next(incident_id: int, message: str, postmortem: bool = False) -> None:
    """Rerun the page on this incident, saying what was done (and linking its postmortem). The picker is already
    drawn in this run, so the choice is handed to the next one (st.rerun ends this run; it is no error)."""
    st.session_state[f"{KEY}.open"] = incident_id
    st.session_state[f"{KEY}.done"] = (message, incident_id if postmortem else None)
    st.rerun()


def rerun_saying(message: str) -> None:
    """Rerun the page (on whichever incident is open), saying what was done."""
    st.session_state[f"{KEY}.done"] = (message, None)
    st.rerun()


def apply_open() -> None:
    """At the top of the page, before the picker: open the incident the last action was on, and say what it did."""
    if f"{KEY}.open" in st.session_state:
        st.session_state[f"{KEY}.chosen"] = st.session_state.pop(f"{KEY}.open")
    if done := st.session_state.pop(f"{KEY}.done", None):
        message, postmortem_of = done
        st.success(inert(message), icon=":material/check_circle:")
        if postmortem_of is not None:
            postmortem_link(postmortem_of, "Open its postmortem draft")


def postmortem_link(incident_id: int, label: str) -> None:
    """A link to the Postmortems page opened at this incident's postmortem."""
    st.page_link(
        POSTMORTEMS_PAGE, label=label, icon=":material/description:", query_params={"incident": str(incident_id)}
    )


def act(what: str, fn: Callable[..., object], *, incident_id: int, **kwargs: Any) -> None:
    """Run one service call in its own unit of work; on success rerun on the incident, saying what was done."""
    with shown_errors(what):
        with session_scope() as s:
            fn(s, incident_id=incident_id, **kwargs)
            resolved = kwargs.get("to") == "resolved"  # resolving may have opened a postmortem: link it
            pm = resolved and postmortems.get_for_incident(s, actor=kwargs["actor"], incident_id=incident_id)
        open_next(incident_id, f"Done: {what}.", postmortem=bool(pm))


def moves(actor: Actor, inc: dict[str, Any], allowed: tuple[str, ...], version: int) -> None:
    """Claim and the status moves allowed from here; Resolve asks for a reason when it would skip something."""
    iid = inc["id"]
    cols = st.columns(len(allowed) + 1)
    if cols[0].button("Claim", key=f"{KEY}.claim.{iid}", disabled=inc["assignee"] == actor.name):
        claim = {"assignee": actor.name, "expected_version": version}
        act("claim the incident", incidents.assign, actor=actor, incident_id=iid, **claim)
    for col, target in zip(cols[1:], allowed, strict=True):
        if not col.button(MOVE_LABEL[target], key=f"{KEY}.move.{iid}.{target}"):
            continue
        what = f"{MOVE_LABEL[target].lower()} incident #{iid}"
        if target == "acknowledged":  # acknowledging takes the incident when nobody has it
            act(what, incidents.acknowledge, actor=actor, incident_id=iid, expected_version=version)
        elif target == "resolved" and can(actor, "incident.triage") and _gaps(actor, iid):  # else the service says
            st.session_state[f"{KEY}.confirm.{iid}"] = True
        else:
            act(what, incident_response.transition, actor=actor, incident_id=iid, to=target, expected_version=version)
    if "resolved" in allowed and st.session_state.get(f"{KEY}.confirm.{iid}"):
        confirm_resolve(actor, iid, version)


def _gaps(actor: Actor, incident_id: int) -> list[str]:
    with shown_errors("checking what resolving skips"), session_scope() as s:
        return incidents.resolution_gaps(s, actor=actor, incident_id=incident_id)
    return []


def confirm_resolve(actor: Actor, incident_id: int, version: int) -> None:
    """What resolving now skips, and a required reason that goes on the timeline; the service checks it again."""
    gaps = _gaps(actor, incident_id)
    with st.container(border=True):
        st.warning(
            inert("Resolving now: " + "; ".join(gaps) + ". Say why; the reason goes on the timeline."),
            icon=":material/help:",
        )
        reason = st.text_area("Reason for resolving anyway", key=f"{KEY}.reason.{incident_id}")
        c1, c2 = st.columns(2)
        if c1.button("Resolve with this reason", key=f"{KEY}.resolve.confirm.{incident_id}", type="primary"):
            st.session_state.pop(f"{KEY}.confirm.{incident_id}", None)
            act(
                f"resolve incident #{incident_id}",
                incident_response.transition,
                actor=actor,
                incident_id=incident_id,
                to="resolved",
                expected_version=version,
                reason=reason,
            )
            st.session_state[f"{KEY}.confirm.{incident_id}"] = True  # refused (no reason, stale): keep asking
        if c2.button("Cancel", key=f"{KEY}.resolve.cancel.{incident_id}"):
            st.session_state.pop(f"{KEY}.confirm.{incident_id}", None)
            st.rerun()

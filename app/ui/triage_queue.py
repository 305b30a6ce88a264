"""The triage queue as the Triage page shows it: filters, counts, the table with acknowledge clocks, bulk acknowledge
and the picker that opens one incident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.incident_actions import rerun_saying
from app.ui.linked import linked, preselect
from services.auth import Actor
from services.db import session_scope
from services.errors import NotFound
from services.incidents import service as incidents
from services.incidents.models import CLASSIFICATIONS, STATUSES
from services.incidents.queue import QueueItem
from services.incidents.severities import SEVERITIES
from services.incidents.workflow import OPEN_STATUSES


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the queue to; empty means every value."""

    statuses: list[str]
    severities: list[str]
    classifications: list[str]
    service: str
    assignee: str


def filters() -> Filters:
    """The filter widgets, folded away: open incidents of every severity by default."""
    with st.expander("Filters", expanded=False):
        f1, f2, f3 = st.columns(3)
        statuses = f1.multiselect("Status", STATUSES, default=list(OPEN_STATUSES), key="triage.status")
        severities = f2.multiselect("Severity", SEVERITIES, key="triage.severity")
        classifications = f3.multiselect("Classification", CLASSIFICATIONS, key="triage.classification")
        g1, g2 = st.columns(2)
        service = g1.text_input("Service", key="triage.service")
        assignee = g2.text_input("Assignee", key="triage.assignee")
    return Filters(statuses, severities, classifications, service, assignee)


def clock_text(item: QueueItem) -> str:
    """The acknowledge clock in words: time left, overdue by, or how long it took."""
    c = item.clock
    if c.acknowledged:
        return f"acknowledged after {fmt.span(c.waited)}" + (" (late)" if c.breached else "")
    return f"OVERDUE by {fmt.span(c.remaining)}" if c.breached else f"{fmt.span(c.remaining)} left"


def queue_table(queue: list[QueueItem]) -> None:
    """The counts a triager checks first, then one row per incident."""
    new = [q for q in queue if q.incident["status"] == "new"]
    c = st.columns(3)
    c[0].metric("Incidents in the queue", len(queue))
    c[1].metric("Waiting for acknowledgement", len(new))
    c[2].metric("Acknowledge target breached", sum(1 for q in new if q.clock.breached))
    if not queue:
        st.info("Nothing in the queue for these filters.")
        return
    rows = [
        {
            "id": q.incident["id"],
            "severity": q.incident["severity"],
            "title": q.incident["title"],
            "service": q.incident["service"],
            "status": q.incident["status"],
            "classification": q.incident["classification"],
            "assignee": q.incident["assignee"] or "—",
            "age": fmt.span(q.age),
            "acknowledge clock": clock_text(q),
        }
        for q in queue
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def bulk_acknowledge(actor: Actor, queue: list[QueueItem]) -> None:
    """Acknowledge several new incidents at once; the page says how many after the rerun."""
    new = [q.incident["id"] for q in queue if q.incident["status"] == "new"]
    if not new:
        return
    picked = st.multiselect("Acknowledge several", new, key="triage.bulk", format_func=lambda i: f"#{i}")
    if st.button("Acknowledge selected", key="triage.bulk.ack", disabled=not picked):
        with shown_errors("acknowledging"):
            with session_scope() as s:
                incidents.bulk_acknowledge(s, actor=actor, incident_ids=picked)
            rerun_saying(f"Acknowledged {len(picked)} incident(s).")


def kept_incident(actor: Actor, queue: list[QueueItem]) -> dict[str, Any] | None:
    """The incident the user has open (or a link names) when it is not in the queue (any more): resolving one, or
    narrowing the filters, keeps it open rather than jumping to another incident."""
    ids = {q.incident["id"] for q in queue}
    wanted = [st.session_state.get("triage.chosen"), linked("incident")]
    for raw in wanted:
        if raw is None or not str(raw).isdigit() or int(raw) in ids:
            continue
        try:
            with session_scope() as s:
                return incidents.get_incident(s, actor=actor, incident_id=int(raw)).as_dict()
        except NotFound:  # deleted meanwhile, or a link to one that never was: the queue's first opens instead
            continue
    return None


def pick_incident(queue: list[QueueItem], kept: dict[str, Any] | None = None) -> int:
    """The incident to open, chosen from the queue and the one kept open (which are not both empty)."""
    titles = {q.incident["id"]: f"#{q.incident['id']} {q.incident['severity']} {q.incident['title']}" for q in queue}
    if kept is not None:
        titles[kept["id"]] = f"#{kept['id']} {kept['severity']} {kept['title']} ({kept['status']}, not in the queue)"
    preselect("triage.chosen", "incident", list(titles))
    return int(st.selectbox("Open an incident", list(titles), key="triage.chosen", format_func=titles.__getitem__))

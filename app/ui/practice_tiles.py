"""The SRE practice tiles of the home page: the SDLC picture coloured by live state, and a tile per practice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import streamlit as st

from app import testrun_data
from app.data import practice_tile_values
from app.ui import format as fmt
from app.ui.linked import range_params
from app.ui.safe import inert
from app.ui.workflow import workflow_dot
from services.auth import Actor, can
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.workflow import OPEN_STATUSES
from services.overview import PRACTICES, Tile

LINKS = {  # each opens the page that shows the tile's figure, at the tile's window and role (see link_params)
    "Monitoring": ("../pages/failures.py", "Failures"),
    "Incident Response": ("../pages/triage.py", "Triage queue"),
    "Postmortem & RCA": ("../pages/logs.py", "Exceptions by type (KQL)"),
    "Testing": ("../pages/testing.py", "Test runs"),
    "Capacity Planning": ("../pages/capacity.py", "Capacity plan"),
    "Development": ("../pages/performance.py", "Performance by release"),
    "Product": ("../pages/business.py", "Business metrics"),
}
QUERY = {"Postmortem & RCA": "exceptions_by_type"}  # the catalogue query the Logs page opens with
ICON = {
    "ok": ":material/check_circle:",
    "warn": ":material/warning:",
    "alert": ":material/error:",
    "none": ":material/radio_button_unchecked:",
}


def link_params(t: Tile) -> dict[str, str]:
    """What the tile's link carries: its figure's window and role (or its test run), so the page opens on it."""
    if t.run_id is not None:
        return {"run": str(t.run_id)}
    if t.start is None or t.end is None:
        return {}
    return range_params(t.start, t.end, role=t.role, query=QUERY.get(t.practice))


def practice_tiles(actor: Actor, service: str, at: datetime) -> None:
    """The SDLC picture and the live tile of each practice as of `at`."""
    with session_scope() as s:
        open_now = Counter(i.severity for i in incidents.list_incidents(s, actor=actor, statuses=list(OPEN_STATUSES)))
    readable = can(actor, "testrun.read")
    tests = testrun_data.summary(actor, actor.role, testrun_data.newest_run_id(actor), service) if readable else None
    values = practice_tile_values(actor, actor.role, service, at, tuple(sorted(open_now.items())), tests)
    by_practice = {t.practice: t for t in values}
    st.subheader("Practices", divider="gray")
    st.graphviz_chart(workflow_dot({p: t.state for p, t in by_practice.items()}), width="stretch")
    st.caption("Green: healthy · amber: needs a look · red: act now · grey: no data yet.")
    for row in (PRACTICES[:4], PRACTICES[4:]):
        for col, practice in zip(st.columns(4), row, strict=False):
            t = by_practice[practice]
            with col.container(border=True):
                st.markdown(f"{ICON[t.state]} **{practice}**")
                st.metric(inert(t.label), inert(t.value))
                st.caption(inert(t.detail) or " ")
                page, label = LINKS[practice]
                st.page_link(page, label=label, icon=":material/arrow_forward:", query_params=link_params(t))
    st.caption(f"As of {fmt.when(at)} · service {service}")

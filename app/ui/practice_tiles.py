"""The SRE practice tiles of the home page: the SDLC picture coloured by live state, and a tile per practice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import streamlit as st

from app import testrun_data
from app.data import practice_tile_values
from app.ui import format as fmt
from app.ui.safe import inert
from app.ui.workflow import workflow_dot
from services.auth import Actor, can
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.workflow import OPEN_STATUSES
from services.overview import PRACTICES

LINKS = {
    "Monitoring": ("../pages/failures.py", "Failures"),
    "Incident Response": ("../pages/triage.py", "Triage queue"),
    "Postmortem & RCA": ("../pages/postmortems.py", "Postmortems"),
    "Testing": ("../pages/testing.py", "Test runs"),
    "Capacity Planning": ("../pages/capacity.py", "Capacity plan"),
    "Development": ("../pages/performance.py", "Performance by release"),
    "Product": ("../pages/business.py", "Business metrics"),
}
ICON = {
    "ok": ":material/check_circle:",
    "warn": ":material/warning:",
    "alert": ":material/error:",
    "none": ":material/radio_button_unchecked:",
}


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
                st.page_link(page, label=label, icon=":material/arrow_forward:")
    st.caption(f"As of {fmt.when(at)} · service {service}")

"""Home: the SDLC phases as a workflow, the SRE practices attached to each, and live practice tiles."""

from collections import Counter

import streamlit as st

from app.auth import current_actor
from app.data import now_floor, service_name, slo_definitions, slo_statuses
from app.resources import telemetry_source
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.safe import inert
from app.ui.workflow import workflow_dot
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.workflow import OPEN_STATUSES
from services.overview import PRACTICES, tiles

LINKS = {
    "Monitoring": ("../pages/failures.py", "Failures"),
    "Incident Response": ("../pages/triage.py", "Triage queue"),
    "Postmortem & RCA": ("../pages/postmortems.py", "Postmortems"),
    "Testing": ("../pages/loadtests.py", "Load tests"),
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

actor = current_actor()
service = service_name()
st.title(f"SRE Backoffice · {service}")
st.caption(
    "The SDLC phases as a workflow, with the SRE practices each phase uses. Tiles are live figures "
    "computed from telemetry and SLO status."
)

at = now_floor()
with shown_errors("computing the practice tiles"):
    statuses = slo_statuses(actor, actor.role, tuple(slo_definitions(actor, actor.name)), at)
    with session_scope() as s:
        open_now = Counter(i.severity for i in incidents.list_incidents(s, actor=actor, statuses=list(OPEN_STATUSES)))
    practice_tiles = {
        t.practice: t
        for t in tiles(telemetry_source(), statuses, actor=actor, service=service, at=at, open_incidents=dict(open_now))
    }
    st.graphviz_chart(workflow_dot({p: t.state for p, t in practice_tiles.items()}), width="stretch")
    st.caption("Green: healthy · amber: needs a look · red: act now · grey: no data yet.")
    st.subheader("Practices", divider="gray")
    rows = [PRACTICES[:4], PRACTICES[4:]]
    for row in rows:
        for col, practice in zip(st.columns(4), row, strict=False):
            t = practice_tiles[practice]
            with col.container(border=True):
                st.markdown(f"{ICON[t.state]} **{practice}**")
                st.metric(inert(t.label), inert(t.value))
                st.caption(inert(t.detail) or " ")
                page, label = LINKS[practice]
                st.page_link(page, label=label, icon=":material/arrow_forward:")
    st.caption(f"As of {fmt.when(at)} · service {service}")

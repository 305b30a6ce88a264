"""SLOs & error budgets: SLI, budget, burn rates (with the formulas and numbers) and charts per SLO."""

from datetime import UTC, datetime, time

import streamlit as st

from app.auth import current_actor
from app.data import now_floor, slo_definitions, slo_statuses
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.linked import linked
from app.ui.safe import inert
from app.ui.slo_detail import slo_detail, summary_table
from app.ui.slo_form import delete_control, show_done, slo_form

actor = current_actor()
st.title("SLOs & error budgets")

with st.sidebar.expander("Evaluate as of", expanded=False):
    past = st.toggle("A past instant", key="slos.past", help="Reproduce a report or a postmortem's view.")
    d = st.date_input("Date (UTC)", key="slos.at.date", disabled=not past)
    t = st.time_input("Time (UTC)", value=time(12, 0), key="slos.at.time", disabled=not past)
at = datetime.combine(d, t, tzinfo=UTC) if past else now_floor()
show_done()

with shown_errors("loading SLOs"):
    defs = slo_definitions(actor, actor.name)
    targets = "; ".join(x.describe_target() for x in defs) or "none configured yet"
    st.caption(inert(f"As of {fmt.when(at)}. Targets: {targets}."))
    tab_status, tab_manage = st.tabs(["Status", "Manage SLOs"])
    with tab_status:
        if not defs:
            st.info("No SLOs yet. Create one under **Manage SLOs**, or run `sre-backoffice slo seed`.")
        else:
            statuses = slo_statuses(actor, actor.role, tuple(defs), at)
            st.dataframe(summary_table(statuses), hide_index=True, width="stretch")
            for s in statuses:
                with st.expander(
                    inert(f"{s.slo.name} — SLI {fmt.pct(s.sli)}, budget {fmt.pct(s.remaining, 1)} left"),
                    expanded=len(statuses) <= 2 or str(s.slo.id) == linked("slo"),
                ):
                    slo_detail(s)
    with tab_manage:
        st.markdown("#### New SLO")
        slo_form(actor)
        for slo in defs:
            with st.expander(inert(f"Edit {slo.name}")):
                slo_form(actor, slo, version=slo.version)
                delete_control(actor, slo)

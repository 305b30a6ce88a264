"""Business metrics: failed logins per account, DOPA verification outcomes and custom metrics such as orders value."""

import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query, service_name
from app.ui.business_metrics import business_figures, custom_metric, dopa_outcomes, failed_logins
from app.ui.errors import shown_errors
from app.ui.timerange import time_range
from services.monitoring import business

actor = current_actor()
service = service_name()
st.title("Business metrics")
st.caption(
    f"What **{service}**'s custom telemetry says about the product: LoginFailed and DopaVerification events "
    "(AppEvents) and pre-aggregated custom metrics (AppMetrics). Counts are sum(ItemCount)."
)
start, end = time_range("business")
with shown_errors("reading business metrics"):
    bm = business.business_metrics(
        catalogue_query,
        actor=actor,
        service=service,
        start=start,
        end=end,
        metric=st.session_state.get("business.metric"),
    )
    for note in bm.notes:
        st.warning(note)
    business_figures(bm)
    failed_logins(bm)
    dopa_outcomes(bm)
    custom_metric(bm)

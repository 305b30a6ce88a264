"""Feature: one feature's checklist phase by phase, the evidence behind each item, its moves and sign-offs."""

import streamlit as st

from app.auth import current_actor
from app.feature_data import detail_version, feature_detail, feature_refs
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.feature_actions import flash, move_buttons, seen_version, sign_off_form, waive_form
from app.ui.feature_board import gate_summary
from app.ui.feature_detail import checklist, feature_header, history_table, pick_feature
from app.ui.safe import inert
from services.features.phases import PHASE_NAMES

actor = current_actor()
st.title("Feature")
st.caption(
    "A feature leaves its phase when every required item of the phase's gate is passed (from data, or by a "
    "sign-off) or waived by a lead. Items of later phases are shown as they would be judged now."
)
flash()

with shown_errors("loading the feature"):
    chosen = pick_feature(feature_refs(actor))
    if chosen is not None:
        detail = feature_detail(actor, actor.role, chosen, detail_version(actor, chosen))
        f = detail.feature
        version = seen_version(detail)
        feature_header(detail)
        counts, blocking = detail.counts(f.phase), detail.blocking()
        st.markdown(
            f"**Gate of {PHASE_NAMES[f.phase]}**: {gate_summary(counts['passed'], counts['open'], counts['waived'])}"
            + (f" · waiting for: {inert('; '.join(blocking))}" if blocking else " · ready to advance")
        )
        move_buttons(actor, detail, version)
        st.subheader("Checklist", divider="gray")
        checklist(actor, detail)
        st.caption(f"Judged as of {fmt.when(detail.at)}.")
        left, right = st.columns(2)
        with left:
            sign_off_form(actor, detail)
        with right:
            waive_form(actor, detail)
        st.subheader("History", divider="gray")
        history_table(detail)

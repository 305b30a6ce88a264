"""Home: the SDLC workflow board (each feature in its phase, with its gate), then the live SRE practice tiles."""

import streamlit as st

from app.auth import current_actor
from app.data import demo_history, now_floor, service_name
from app.feature_data import board_cards, board_version
from app.ui.errors import shown_errors
from app.ui.feature_board import flash, new_feature_form, workflow_board
from app.ui.practice_tiles import practice_tiles

actor = current_actor()
service = service_name()
st.title(f"SRE Backoffice · {service}")
st.caption(
    "The SDLC phases as a workflow board: each feature sits in its phase until every required item of the phase's "
    "gate is passed or waived. Below, the SRE practices each phase uses, with live figures from telemetry."
)
flash()
if (older := demo_history()) is not None:
    st.info(
        f"Demo history is still being written in the background: {older.done} of {older.total} older day(s) done. "
        f"Figures over more than the newest {older.recent_days} day(s) grow as the days land.",
        icon=":material/hourglass_top:",
    )
with shown_errors("judging the features' gates"):
    workflow_board(board_cards(actor, actor.role, board_version(actor)))
new_feature_form(actor)

with shown_errors("computing the practice tiles"):
    practice_tiles(actor, service, now_floor())

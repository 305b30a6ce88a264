"""The workflow board: a column per SDLC phase with a card per feature, and the form that adds a feature."""

from __future__ import annotations

import streamlit as st

from app.feature_data import Board, FeatureCard, clear_feature_caches
from app.resources import settings
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.features import service as features
from services.features.phases import ENTRY_NAMES, ENTRY_PHASE, PHASE_NAMES, PHASES
from services.features.schemas import parse_feature_input

FEATURE_PAGE = "../pages/feature.py"
FLASH = "home.flash"  # (message, feature id) of the feature just created, shown after the rerun
BLOCKED = ":red[:material/block:]"
SHOWN_OPEN = 3  # open items a card names; the feature page lists them all
READY = ":green[:material/check_circle:]"


def gate_summary(passed: int, open_: int, waived: int) -> str:
    """A gate's counts as the board and the checklist word them."""
    return f"{passed} passed · {open_} open · {waived} waived"


def waiting_for(blocking: tuple[str, ...]) -> str:
    """The open items a card names: the first SHOWN_OPEN titles, then how many more."""
    more = len(blocking) - SHOWN_OPEN
    return "waiting for: " + "; ".join(blocking[:SHOWN_OPEN]) + (f"; and {more} more" if more > 0 else "")


def feature_card(card: FeatureCard) -> None:
    """One feature: title, service, release, its current gate and a link to its page."""
    with st.container(border=True):
        st.markdown(f"**{inert(f'#{card.id} {card.title}')}**")
        st.caption(inert(f"{card.service} · release {card.release or '—'}"))
        icon, state = (BLOCKED, "blocked") if card.blocked else (READY, "ready")
        st.markdown(f"{icon} {gate_summary(card.passed, card.open, card.waived)} · {state}")
        if card.blocked:
            st.caption(inert(waiting_for(card.blocking)))
        st.page_link(
            FEATURE_PAGE, label="Open", icon=":material/arrow_forward:", query_params={"feature": str(card.id)}
        )


def workflow_board(board: Board) -> None:
    """A column per phase in workflow order, each feature as a card in its current phase's column."""
    columns = st.columns(len(PHASES))
    for col, (key, name, _) in zip(columns, PHASES, strict=True):
        cards = [c for c in board.cards if c.phase == key]
        with col:
            st.markdown(f"**{name}** ({len(cards)})")
            for card in cards:
                feature_card(card)
    if not board.cards:
        st.info("No feature yet: add one below, or let the demo seed some.")
    st.caption(f"Gates judged as of {fmt.when(board.at)}; {BLOCKED} a required item is open, {READY} ready to advance.")


def flash() -> None:
    """The feature created on the previous run, with a link to it."""
    if done := st.session_state.pop(FLASH, None):
        message, feature_id = done
        st.success(inert(message))
        st.page_link(FEATURE_PAGE, label=f"Open feature #{feature_id}", query_params={"feature": str(feature_id)})


def new_feature_form(actor: Actor) -> None:
    """The form that adds a feature at its entry kind's phase (shown only to who may create one)."""
    if not can(actor, "feature.create"):
        return
    with st.expander("New feature"), st.form("home.new_feature", clear_on_submit=False):
        title = st.text_input("Title", key="home.new.title")
        c1, c2, c3 = st.columns(3)
        service = c1.text_input("Service", settings().telemetry.service_name)
        release = c2.text_input("Target release", placeholder="2026.12.1")
        entry = c3.selectbox(
            "Entry kind",
            list(ENTRY_NAMES),
            format_func=lambda e: f"{ENTRY_NAMES[e]} (enters at {PHASE_NAMES[ENTRY_PHASE[e]]})",
            key="home.new.entry",
        )
        operations = st.text_area("Operations (one per line)", placeholder="GET /api/shops", key="home.new.operations")
        covered = st.checkbox("The service-wide SLOs cover this feature")
        owner = st.text_input("Owner")
        description = st.text_area("Description")
        c4, c5 = st.columns(2)
        work_item = c4.text_input("Work item link")
        pull_request = c5.text_input("Pull request link")
        submitted = st.form_submit_button("Create feature", type="primary")
    if submitted:
        with shown_errors("creating the feature"):
            data = parse_feature_input(
                {
                    "title": title,
                    "service": service,
                    "release": release,
                    "entry": entry,
                    "operations": operations.splitlines(),
                    "service_slos_cover": covered,
                    "owner": owner,
                    "description": description,
                    "work_item_url": work_item,
                    "pull_request_url": pull_request,
                }
            )
            with session_scope() as s:
                f = features.create_feature(s, actor=actor, data=data)
                fid, phase = f.id, f.phase
            clear_feature_caches()
            st.session_state[FLASH] = (f"Feature #{fid} created in {PHASE_NAMES[phase]}.", fid)
            st.rerun()

"""What a user can do to a feature on its page: advance, move back, sign off, waive. Each control appears only for
a role that holds its permission; the service checks every call again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.feature_data import FeatureDetail, clear_feature_caches
from app.resources import telemetry_source
from app.ui.errors import shown_errors
from app.ui.safe import inert
from services.auth import Actor, can, role_rank
from services.db import session_scope
from services.features import service as features
from services.features.gates import ItemState
from services.features.phases import PHASE_NAMES, next_phase, previous_phase, sign_off_role

FLASH = "feature.flash"  # the message of the change made on the previous run


def _act(what: str, fn: Callable[..., object], **kwargs: Any) -> None:
    with shown_errors(what):
        with session_scope() as s:
            fn(s, **kwargs)
        clear_feature_caches()
        st.session_state[FLASH] = f"Done: {what}."
        st.rerun()


def flash() -> None:
    """The change made on the previous run."""
    if message := st.session_state.pop(FLASH, None):
        st.success(inert(message))


def seen_version(detail: FeatureDetail) -> int:
    """The version the user saw when clicking (the previous run's), remembered for the next click."""
    f = detail.feature
    key = f"feature.seen.{f.id}"
    seen = int(st.session_state.get(key, f.version))
    st.session_state[key] = f.version
    return seen


def move_buttons(actor: Actor, detail: FeatureDetail, version: int) -> None:
    """Advance through the current gate, or move back one phase with a reason."""
    f = detail.feature
    if not can(actor, "feature.move"):
        return
    ahead, behind = next_phase(f.phase), previous_phase(f.phase)
    left, right = st.columns(2)
    if ahead is not None and left.button(
        f"Advance to {PHASE_NAMES[ahead]}", key=f"feature.advance.{f.id}", type="primary"
    ):
        _act(
            f"advance feature #{f.id} from {PHASE_NAMES[f.phase]} to {PHASE_NAMES[ahead]}",
            features.advance,
            actor=actor,
            source=telemetry_source(),
            feature_id=f.id,
            expected_version=version,
        )
    if behind is not None:
        reason = right.text_input("Why move it back?", key=f"feature.back.reason.{f.id}")
        if right.button(f"Move back to {PHASE_NAMES[behind]}", key=f"feature.back.{f.id}"):
            _act(
                f"move feature #{f.id} back to {PHASE_NAMES[behind]}",
                features.move_back,
                actor=actor,
                feature_id=f.id,
                reason=reason,
                expected_version=version,
            )


def _label(item: ItemState) -> str:
    return f"{PHASE_NAMES[item.phase]} · {item.title} ({item.key})"


def _first_of_phase(items: list[ItemState], phase: str) -> int:
    return next((n for n, i in enumerate(items) if i.phase == phase), 0)


def sign_off_form(actor: Actor, detail: FeatureDetail) -> None:
    """Sign off one item not signed off yet, of a phase the role may sign off, with its evidence."""
    f = detail.feature
    if not can(actor, "gate.sign_off"):
        return
    # the lowest role per phase, as the service checks it (leads for phases not named)
    rank = role_rank(actor.role)
    items = [
        i
        for i in detail.items
        if i.kind == "sign-off" and i.sign_off is None and rank >= role_rank(sign_off_role(i.phase))
    ]
    st.markdown("**Sign off an item**")
    if not items:
        st.caption("Nothing left that your role may sign off on this feature.")
        return
    keys = [i.key for i in items]
    by_key = {i.key: i for i in items}
    key = st.selectbox(
        "Item",
        keys,
        index=_first_of_phase(items, f.phase),
        format_func=lambda k: _label(by_key[k]) + (" · evidence needed" if by_key[k].evidence_required else ""),
        key=f"feature.sign.item.{f.id}",
    )
    evidence = st.text_area(
        "Evidence (a link to the pipeline run or report, or a note)", key=f"feature.sign.text.{f.id}"
    )
    if st.button("Sign off", key=f"feature.sign.{f.id}"):
        _act(f"sign off {key}", features.sign_off, actor=actor, feature_id=f.id, item_key=key, evidence=evidence)


def waive_form(actor: Actor, detail: FeatureDetail) -> None:
    """A lead waives one open item with a reason; the waiver stays on the feature for good."""
    f = detail.feature
    if not can(actor, "gate.waive"):
        return
    items = [i for i in detail.items if i.state == "open" and i.waiver is None]
    st.markdown("**Waive an item** (leads)")
    if not items:
        st.caption("No open item to waive.")
        return
    by_key = {i.key: i for i in items}
    key = st.selectbox(
        "Item",
        list(by_key),
        index=_first_of_phase(items, f.phase),
        format_func=lambda k: _label(by_key[k]),
        key=f"feature.waive.item.{f.id}",
    )
    reason = st.text_input("Reason (why the feature may go on without it)", key=f"feature.waive.reason.{f.id}")
    if st.button("Waive", key=f"feature.waive.{f.id}"):
        _act(f"waive {key}", features.waive, actor=actor, feature_id=f.id, item_key=key, reason=reason)

"""Cached readers of the SDLC workflow: the board's cards and one feature's judged checklist, as plain values.

The gates read telemetry, so their results are cached for 60 s, keyed by role (what a user may read depends on the
role only) and by a version read fresh on every run (the features' versions, the newest feature audit record, a
feature's sign-offs): a move, an edit or a sign-off shows at once, made here or by the CLI; a page that changes
something also clears the caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from app.resources import telemetry_source
from services.auth import Actor
from services.db import session_scope
from services.features import service as features
from services.features.gates import STATES, ItemState
from services.features.phases import skipped
from services.features.views import FeatureView


@dataclass(frozen=True)
class FeatureRef:
    """A feature as the pickers and cache keys need it."""

    id: int
    title: str
    phase: str
    version: int


@dataclass(frozen=True)
class FeatureCard:
    """One card of the board: the feature and its current phase's gate."""

    id: int
    title: str
    service: str
    release: str | None
    phase: str
    passed: int
    open: int
    waived: int
    blocking: tuple[str, ...]  # the titles of the current phase's required items still open

    @property
    def blocked(self) -> bool:
        """Whether a required item keeps the feature in its phase."""
        return bool(self.blocking)


@dataclass(frozen=True)
class Board:
    """Every feature's card, judged as of `at`."""

    at: datetime
    cards: tuple[FeatureCard, ...]


@dataclass(frozen=True)
class Move:
    """One step of a feature's history."""

    at: datetime
    actor: str
    kind: str
    from_phase: str | None
    to_phase: str
    note: str


@dataclass(frozen=True)
class FeatureDetail:
    """One feature with every item of every phase judged, and its history."""

    at: datetime
    feature: FeatureView
    items: tuple[ItemState, ...]
    moves: tuple[Move, ...]

    def phase_items(self, phase: str) -> list[ItemState]:
        """The items of one phase, in template order."""
        return [i for i in self.items if i.phase == phase]

    def counts(self, phase: str) -> dict[str, int]:
        """passed / open / waived counts of one phase's items."""
        return {s: sum(1 for i in self.phase_items(phase) if i.state == s) for s in STATES}

    def skipped(self, phase: str) -> bool:
        """Whether the gates skip this phase (services.features.phases.skipped)."""
        return skipped(phase, entry=self.feature.entry, current=self.feature.phase)

    def blocking(self) -> list[str]:
        """The titles of the current phase's required items still open."""
        return [i.title for i in self.phase_items(self.feature.phase) if i.required and i.state == "open"]


def feature_refs(actor: Actor) -> list[FeatureRef]:
    """Every feature with its version and phase, read fresh (one query) for the feature picker."""
    with session_scope() as s:
        return [FeatureRef(f.id, f.title, f.phase, f.version) for f in features.list_features(s, actor=actor)]


def board_version(actor: Actor) -> tuple[int, int, int]:
    """How many features there are, the sum of their versions (every new feature, move or edit changes them) and
    the newest feature audit record (a sign-off or waiver, from this page or the CLI, moves no version but writes
    one); read fresh on every run, in one session."""
    with session_scope() as s:
        return features.board_version(s, actor=actor)


def detail_version(actor: Actor, feature_id: int) -> tuple[int, int]:
    """A feature's version and how many sign-offs and waivers it has: changes with every move, edit or word."""
    with session_scope() as s:
        f = features.get_feature(s, actor=actor, feature_id=feature_id)
        return f.version, len(features.sign_offs(s, actor=actor, feature_id=feature_id))


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def board_cards(_actor: Actor, role: str, version: tuple[int, int, int]) -> Board:
    """Every feature's current-phase gate (one gathering of evidence for all of them)."""
    at = datetime.now(UTC)
    with session_scope() as s:
        judged, _ = features.gates(s, actor=_actor, source=telemetry_source(), at=at, current_phase_only=True)
    cards = []
    for g in judged:
        f, counts = g.feature, g.counts()
        blocking = tuple(i.title for i in g.blocking())
        cards.append(
            FeatureCard(
                f.id,
                f.title,
                f.service,
                f.release,
                f.phase,
                counts["passed"],
                counts["open"],
                counts["waived"],
                blocking,
            )
        )
    return Board(at, tuple(cards))


@st.cache_data(ttl=60, show_spinner=False, max_entries=64)
def feature_detail(_actor: Actor, role: str, feature_id: int, version: tuple[int, int]) -> FeatureDetail:
    """One feature's every gate item judged, and its moves."""
    at = datetime.now(UTC)
    with session_scope() as s:
        judged, _ = features.gates(s, actor=_actor, source=telemetry_source(), feature_ids=[feature_id], at=at)
        moves = tuple(
            Move(m.at, m.actor, m.kind, m.from_phase, m.to_phase, m.note)
            for m in features.history(s, actor=_actor, feature_id=feature_id)
        )
    return FeatureDetail(at, judged[0].feature, tuple(judged[0].items), moves)


def clear_feature_caches() -> None:
    """After a feature, a sign-off, a waiver or the template changed."""
    board_cards.clear()
    feature_detail.clear()

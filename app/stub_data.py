"""Readers for the WireMock stubs page: stub sets and one version as plain values, the HTTP targets production
called (cached a minute), and a running WireMock's journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from app.resources import telemetry_source
from services.auth import Actor
from services.db import session_scope
from services.stubs import admin, observe
from services.stubs import service as stub_service
from services.stubs.service import Coverage


@dataclass(frozen=True)
class SetView:
    """A stub set and its versions' numbers, newest first."""

    id: int
    name: str
    target: str
    latest: int


@dataclass(frozen=True)
class VersionView:
    """One version of a set: its mappings, what production showed, and their coverage."""

    set_id: int
    version: int
    origin: str
    mappings: list[dict[str, Any]]
    text: str
    window: tuple[datetime, datetime] | None
    note: str
    created_at: datetime
    created_by: str
    coverage: Coverage
    archive: bytes


def sets(actor: Actor) -> list[SetView]:
    """Every stub set, by name (read fresh: they are few)."""
    with session_scope() as s:
        return [SetView(x.id, x.name, x.target, x.latest_version) for x in stub_service.list_sets(s, actor=actor)]


def versions(actor: Actor, set_id: int) -> list[int]:
    """The set's version numbers, newest first."""
    with session_scope() as s:
        return [v.version for v in stub_service.versions(s, actor=actor, set_id=set_id)]


def version(actor: Actor, set_id: int, number: int) -> VersionView:
    """One version with its coverage and its export."""
    with session_scope() as s:
        v = stub_service.get_version(s, actor=actor, set_id=set_id, version=number)
        window = (v.window_start, v.window_end) if v.window_start and v.window_end else None
        return VersionView(
            v.set_id, v.version, v.origin, list(v.mappings), stub_service.mappings_text(v), window, v.note,
            v.created_at, v.created_by, stub_service.coverage(v), stub_service.export_zip(v),
        )  # fmt: skip


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def targets(_actor: Actor, role: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The HTTP dependency targets called over [start, end], busiest first."""
    return observe.targets(telemetry_source(), actor=_actor, start=start, end=end)


def journal(admin_url: str) -> admin.Journal:
    """The configured WireMock's journal (read on each rerun: it changes with every call)."""
    return admin.journal(admin_url)

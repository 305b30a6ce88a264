"""Stub-set rules: build a set from production telemetry, upload or edit one (each a new version, kept whole), read,
export and delete (leads); every change audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import Conflict, InvalidInput
from services.repository import found_or_raise, get_or_raise
from services.stubs import build as builder
from services.stubs import coverage as cover
from services.stubs import observe, wiremock_json
from services.stubs import repository as repo
from services.stubs.models import StubSet, StubSetVersion
from services.stubs.schemas import Observation, observation_from
from services.telemetry.source import TelemetrySource

MAX_NOTE = 2_000
MAX_NAME = 200


@dataclass(frozen=True)
class Coverage:
    """A version's mappings against what production showed: each behaviour with its stubs, and stubs seen nowhere."""

    rows: list[cover.Covered]
    unseen: list[str]

    @property
    def share(self) -> float | None:
        """Covered behaviours ÷ observed behaviours (None when nothing was observed)."""
        return sum(r.covered for r in self.rows) / len(self.rows) if self.rows else None


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A stub set needs a name of 1 to {MAX_NAME} characters, such as 'DOPA'.")
    return name


def _save(
    session: Session,
    *,
    actor: Actor,
    name: str,
    target: str,
    origin: str,
    mappings: list[dict[str, Any]],
    observations: list[dict[str, Any]],
    window: tuple[datetime, datetime] | None = None,
    note: str = "",
    base_version: int | None = None,
) -> StubSetVersion:
    """A new version of the named set (the set made on its first version); refused when another save came first."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is {len(note):,} characters; keep it under {MAX_NOTE:,}.")
    stub_set = repo.by_name(session, name)
    if stub_set is None:
        target = target.strip()
        if not target:
            raise InvalidInput("Name the dependency target the set stands in for, such as api.dopa.go.th.")
        stub_set = StubSet(name=name, target=target, latest_version=0, created_by=actor.name)
        session.add(stub_set)
        session.flush()
    expected = stub_set.latest_version if base_version is None else base_version
    if not repo.claim_version(session, stub_set.id, expected):
        raise Conflict(
            f"Stub set {name!r} has a version {expected + 1} saved meanwhile; reload it and make your change again."
        )
    version = StubSetVersion(
        set_id=stub_set.id,
        version=expected + 1,
        origin=origin,
        mappings=mappings,
        observations=observations,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        note=note.strip(),
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    session.refresh(stub_set)
    audit.record(
        session,
        actor=actor,
        action=f"stubset.{origin}",
        entity="stub_set",
        entity_id=stub_set.id,
        after={**stub_set.as_dict(), **version.as_dict()},
    )
    return version


def build_from_telemetry(
    session: Session,
    source: TelemetrySource,
    *,
    actor: Actor,
    name: str,
    target: str,
    start: datetime,
    end: datetime,
    note: str = "",
) -> StubSetVersion:
    """A new version of the set built from how `target` answered over [start, end] (AppDependencies)."""
    require(actor, "stub.write")
    name = _name(name)
    existing = repo.by_name(session, name)
    if existing is not None and existing.target != target:
        raise InvalidInput(f"Stub set {name!r} stands in for {existing.target}; build {target} under another name.")
    if start >= end:
        raise InvalidInput("The window's start must be before its end.")
    seen = observe.observe(source, actor=actor, target=target, start=start, end=end)
    if not seen:
        raise InvalidInput(
            f"No call to {target} between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC; nothing was stored. "
            "Pick a longer window, or a target from the list of dependencies called."
        )
    return _save(
        session,
        actor=actor,
        name=name,
        target=target,
        origin="telemetry",
        mappings=builder.build(target, seen),
        observations=[o.as_dict() for o in seen],
        window=(start, end),
        note=note,
    )


def upload(
    session: Session, *, actor: Actor, name: str, target: str, file_name: str, data: bytes, note: str = ""
) -> StubSetVersion:
    """A new version from an uploaded mapping file (WireMock or WireMock.Net JSON, or a zip of mappings/)."""
    require(actor, "stub.write")
    name = _name(name)
    mappings = wiremock_json.read(file_name, data)
    existing = repo.by_name(session, name)
    observations = _latest(session, existing).observations if existing and existing.latest_version else []
    return _save(
        session,
        actor=actor,
        name=name,
        target=existing.target if existing else target,
        origin="upload",
        mappings=mappings,
        observations=observations,
        note=note or f"uploaded {file_name}",
    )


def edit(
    session: Session, *, actor: Actor, set_id: int, base_version: int, mappings_json: str, note: str = ""
) -> StubSetVersion:
    """A new version with the mappings as edited from `base_version`; refused when a newer version was saved."""
    require(actor, "stub.write")
    stub_set = get_set(session, actor=actor, set_id=set_id)
    base = get_version(session, actor=actor, set_id=set_id, version=base_version)
    mappings = wiremock_json.read("the edited mappings", mappings_json.encode("utf-8"))
    if mappings == base.mappings:
        raise InvalidInput(f"The mappings are those of version {base_version}; nothing changed, nothing was stored.")
    return _save(
        session,
        actor=actor,
        name=stub_set.name,
        target=stub_set.target,
        origin="edit",
        mappings=mappings,
        observations=base.observations,
        window=(base.window_start, base.window_end) if base.window_start and base.window_end else None,
        note=note,
        base_version=base_version,
    )


def list_sets(session: Session, *, actor: Actor) -> list[StubSet]:
    """Every stub set, by name."""
    require(actor, "stub.read")
    return repo.list_sets(session)


def get_set(session: Session, *, actor: Actor, set_id: int) -> StubSet:
    """One stub set, or NotFound."""
    require(actor, "stub.read")
    return get_or_raise(session, StubSet, set_id, missing=f"Stub set {set_id} does not exist.")


def _latest(session: Session, stub_set: StubSet) -> StubSetVersion:
    return found_or_raise(
        repo.version(session, stub_set.id, stub_set.latest_version),
        missing=f"Stub set {stub_set.name!r} has no version {stub_set.latest_version}.",
    )


def get_version(session: Session, *, actor: Actor, set_id: int, version: int | None = None) -> StubSetVersion:
    """One version of a set (the latest when none is named), or NotFound."""
    stub_set = get_set(session, actor=actor, set_id=set_id)
    if version is None:
        return _latest(session, stub_set)
    return found_or_raise(
        repo.version(session, set_id, version), missing=f"Stub set {stub_set.name!r} has no version {version}."
    )


def versions(session: Session, *, actor: Actor, set_id: int) -> list[StubSetVersion]:
    """A set's versions, newest first."""
    get_set(session, actor=actor, set_id=set_id)
    return repo.versions(session, set_id)


def observations(version: StubSetVersion) -> list[Observation]:
    """What production showed when the version's set was built."""
    return [observation_from(d) for d in version.observations]


def coverage(version: StubSetVersion, seen: list[Observation] | None = None) -> Coverage:
    """The version's stubs against the observed behaviours (those stored with it, or fresh ones)."""
    seen = observations(version) if seen is None else seen
    return Coverage(cover.coverage(version.mappings, seen), cover.unseen(version.mappings, seen))


def export_zip(version: StubSetVersion) -> bytes:
    """The version as a zip of mappings/*.json, for `wiremock --root-dir`."""
    return wiremock_json.export_zip(version.mappings)


def mappings_text(version: StubSetVersion) -> str:
    """The version's mappings as the JSON /__admin/mappings/import takes, for reading and editing."""
    return json.dumps({"mappings": version.mappings}, indent=2, ensure_ascii=False)


def delete_set(session: Session, *, actor: Actor, set_id: int) -> None:
    """Delete a set with every version (leads)."""
    require(actor, "stub.delete")
    stub_set = get_set(session, actor=actor, set_id=set_id)
    before = stub_set.as_dict()
    repo.delete_set(session, stub_set)
    audit.record(session, actor=actor, action="stubset.delete", entity="stub_set", entity_id=set_id, before=before)

"""SLOs: create, edit and delete with permissions and audit, each with its burn-rate alert rules in the same
transaction; seeding the team's targets."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import Conflict
from services.repository import check_version, flush_versioned, found_or_raise, get_or_raise
from services.slos import repository as slo_repo
from services.slos.models import Slo

if TYPE_CHECKING:
    # the input models (pydantic) load when an SLO is written: reading SLOs (`slo status`, a whole process) skips them
    from services.slos.schemas import SloInput


@cache
def team_targets() -> tuple[SloInput, ...]:
    """The team's SLOs: availability > 99 % and response time < 300 ms, over 30 days."""
    from services.slos.schemas import SloInput

    return (
        SloInput(
            name="mana availability",
            service="mana",
            kind="availability",
            objective=99.0,
            window_days=30,
            description="Availability > 99 %: successful requests / all requests.",
        ),
        SloInput(
            name="mana latency",
            service="mana",
            kind="latency",
            objective=99.0,
            threshold_ms=300.0,
            window_days=30,
            description="Response time < 300 ms for 99 % of requests.",
        ),
    )


def _stale(name: str, who: str) -> str:
    return f"SLO {name!r} was changed by {who} meanwhile; reload and edit again."


def list_slos(session: Session, *, actor: Actor) -> list[Slo]:
    """Every SLO."""
    require(actor, "slo.read")
    return slo_repo.list_all(session)


def get_slo(session: Session, *, actor: Actor, slo_id: int) -> Slo:
    """One SLO, or NotFound."""
    require(actor, "slo.read")
    return get_or_raise(session, Slo, slo_id, missing=f"SLO {slo_id} does not exist; it may have been deleted.")


def get_slo_by_name(session: Session, *, actor: Actor, name: str) -> Slo:
    """One SLO by its name, or NotFound naming the command that lists them."""
    require(actor, "slo.read")
    return found_or_raise(
        slo_repo.get_by_name(session, name),
        missing=f"No SLO named {name!r}; `sre-backoffice slo list` shows them.",
    )


def _ensure_unique(session: Session, name: str, own_id: int | None = None) -> None:
    other = slo_repo.get_by_name(session, name)
    if other is not None and other.id != own_id:
        raise Conflict(f"An SLO named {name!r} already exists; choose another name.")


def _sync_rules(session: Session, *, actor: Actor, slo: Slo, remove: bool = False) -> None:
    """Create, update or remove the SLO's burn-rate rules in the caller's transaction."""
    # imported here: reading SLOs (`slo status`, a whole process) does not load the alert evaluator and its pandas
    from services.alerts import slo_rules

    slo_rules.sync_for_slo(session, actor=actor, slo=slo, remove=remove)


def create_slo(session: Session, *, actor: Actor, data: SloInput) -> Slo:
    """Create an SLO with its burn-rate alert rules (due at the worker's next cycle), all audited."""
    require(actor, "slo.create")
    _ensure_unique(session, data.name)
    slo = Slo(**data.model_dump())
    try:
        with session.begin_nested():
            slo_repo.add(session, slo)
    except IntegrityError:
        raise Conflict(f"An SLO named {data.name!r} already exists; choose another name.") from None
    audit.record(session, actor=actor, action="slo.create", entity="slo", entity_id=slo.id, after=slo.as_dict())
    _sync_rules(session, actor=actor, slo=slo)
    return slo


def update_slo(
    session: Session, *, actor: Actor, slo_id: int, data: SloInput, expected_version: int | None = None
) -> Slo:
    """Edit an SLO and the burn-rate rules it owns; refuses when someone else changed it since `expected_version`."""
    require(actor, "slo.update")
    slo = get_slo(session, actor=actor, slo_id=slo_id)
    name = slo.name
    check_version(slo.version, expected_version, stale=_stale(name, "someone else"))
    _ensure_unique(session, data.name, own_id=slo.id)
    before = slo.as_dict()
    for key, value in data.model_dump().items():
        setattr(slo, key, value)
    flush_versioned(session, slo, stale=lambda who: _stale(name, who))
    audit.record(
        session, actor=actor, action="slo.update", entity="slo", entity_id=slo.id, before=before, after=slo.as_dict()
    )
    _sync_rules(session, actor=actor, slo=slo)
    return slo


def delete_slo(session: Session, *, actor: Actor, slo_id: int) -> None:
    """Delete an SLO with its burn-rate rules (their alerts and history go with them), audited."""
    require(actor, "slo.delete")
    slo = get_slo(session, actor=actor, slo_id=slo_id)
    before = slo.as_dict()
    _sync_rules(session, actor=actor, slo=slo, remove=True)
    slo_repo.delete(session, slo)
    audit.record(session, actor=actor, action="slo.delete", entity="slo", entity_id=slo_id, before=before)


def seed_team_targets(session: Session, *, actor: Actor) -> list[Slo]:
    """Create the team's SLOs where no SLO of that name exists yet."""
    created = []
    for target in team_targets():
        if slo_repo.get_by_name(session, target.name) is None:
            created.append(create_slo(session, actor=actor, data=target))
    return created

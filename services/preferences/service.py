"""Preference rules: a user reads and changes only their own; a zone must be one this machine knows; audited."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput
from services.preferences import repository as preference_repo
from services.preferences.models import UserPreference


@cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows."""
    return frozenset(available_timezones() | {"UTC"})


def display_timezone(session: Session, *, actor: Actor) -> str | None:
    """The zone the actor chose to see times in (None: the SRE_DISPLAY_TIMEZONE default)."""
    require(actor, "preference.read")
    found = preference_repo.get(session, actor.name)
    zone = found.display_timezone if found else None
    return zone if zone in known_zones() else None  # a zone this machine no longer knows: the default again


def set_display_timezone(session: Session, *, actor: Actor, zone: str | None) -> UserPreference:
    """Remember the actor's zone (None: back to the default); audited when it changed."""
    require(actor, "preference.save")
    if zone is not None and zone not in known_zones():
        raise InvalidInput(f"{zone!r} is not a time zone this machine knows; pick an IANA name such as Asia/Bangkok.")
    found = preference_repo.get(session, actor.name)
    before = found.as_dict() if found else None
    if found is None:
        try:
            with session.begin_nested():
                found = preference_repo.add(session, UserPreference(user_name=actor.name, display_timezone=zone))
        except IntegrityError:  # the same user in another tab saved first: change that row
            found = preference_repo.get(session, actor.name)
            assert found is not None
            before = found.as_dict()
    if before is not None and before["display_timezone"] == zone:
        return found
    found.display_timezone = zone
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user_preference.update",
        entity="user_preference",
        entity_id=actor.name,
        before=before,
        after=found.as_dict(),
    )
    return found

"""Postmortem queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.postmortems.models import Postmortem


def get_for_incident(session: Session, incident_id: int) -> Postmortem | None:
    """The incident's postmortem, if it has one."""
    return session.scalars(select(Postmortem).where(Postmortem.incident_id == incident_id)).first()


def list_all(session: Session) -> list[Postmortem]:
    """Every postmortem, newest first."""
    return list(session.scalars(select(Postmortem).order_by(Postmortem.id.desc())))


def add(session: Session, postmortem: Postmortem) -> Postmortem:
    """Add a new postmortem and flush it for its id."""
    session.add(postmortem)
    session.flush()
    return postmortem

"""SLO queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.slos.models import Slo


def list_all(session: Session) -> list[Slo]:
    """Every SLO, by name."""
    return list(session.scalars(select(Slo).order_by(Slo.name)))


def get_by_name(session: Session, name: str) -> Slo | None:
    """One SLO by its unique name."""
    return session.scalars(select(Slo).where(Slo.name == name)).first()


def add(session: Session, slo: Slo) -> Slo:
    """Add a new SLO to the session and flush it for its id."""
    session.add(slo)
    session.flush()
    return slo


def delete(session: Session, slo: Slo) -> None:
    """Remove an SLO."""
    session.delete(slo)
    session.flush()

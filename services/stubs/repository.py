"""Stub-set queries."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.stubs.models import StubSet, StubSetVersion


def by_name(session: Session, name: str) -> StubSet | None:
    """The set of that name, if any."""
    return session.scalar(select(StubSet).where(StubSet.name == name))


def list_sets(session: Session) -> list[StubSet]:
    """Every set, by name."""
    return list(session.scalars(select(StubSet).order_by(StubSet.name)))


def versions(session: Session, set_id: int) -> list[StubSetVersion]:
    """A set's versions, newest first."""
    q = select(StubSetVersion).where(StubSetVersion.set_id == set_id).order_by(StubSetVersion.version.desc())
    return list(session.scalars(q))


def version(session: Session, set_id: int, number: int) -> StubSetVersion | None:
    """One version of a set."""
    q = select(StubSetVersion).where(StubSetVersion.set_id == set_id, StubSetVersion.version == number)
    return session.scalar(q)


def claim_version(session: Session, set_id: int, expected: int) -> bool:
    """Move the set's latest version from `expected` to the next one; False when another save got there first
    (a compare-and-set in one UPDATE: two editors saving version N+1 at once cannot both win)."""
    result = session.execute(
        update(StubSet)
        .where(StubSet.id == set_id, StubSet.latest_version == expected)
        .values(latest_version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_set(session: Session, stub_set: StubSet) -> None:
    """Delete a set and its versions (the versions first: the database's cascade is not the ORM's to rely on)."""
    session.execute(delete(StubSetVersion).where(StubSetVersion.set_id == stub_set.id))
    session.delete(stub_set)
    session.flush()

"""User-preference queries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.preferences.models import UserPreference


def get(session: Session, user_name: str) -> UserPreference | None:
    """A user's preferences, if they chose any."""
    return session.get(UserPreference, user_name)


def add(session: Session, preference: UserPreference) -> UserPreference:
    """Add a user's first preferences."""
    session.add(preference)
    session.flush()
    return preference

"""The user_preference table: one row per user who chose something for themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow


class UserPreference(Base):
    """A user's own choices; a user without a row sees the settings' defaults."""

    __tablename__ = "user_preference"

    user_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    display_timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {"user_name": self.user_name, "display_timezone": self.display_timezone}

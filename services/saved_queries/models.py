"""The saved_query table: a user's own named KQL queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow


class SavedQuery(Base):
    """A KQL query a user saved under a name; only its owner sees and changes it."""

    __tablename__ = "saved_query"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_saved_query_owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {"owner": self.owner, "name": self.name, "text": self.text}

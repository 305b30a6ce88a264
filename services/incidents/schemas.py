"""Validated input for opening an incident."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.errors import InvalidInput
from services.incidents.severities import Severity


class IncidentInput(BaseModel):
    """What an operator (or an alert) gives when opening an incident."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str
    service: str
    severity: Severity
    description: str = ""
    source: Literal["manual", "alert-rule", "azure-monitor"] = "manual"
    source_ref: str | None = None
    operation: str | None = None
    exception_type: str | None = None
    result_code: str | None = None
    dependency: str | None = None
    operation_ids: list[str] = Field(default_factory=list)
    evidence_kql: str | None = None
    detected_at: datetime | None = None

    @field_validator("title", "service")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        if len(v) > 300:
            raise ValueError("must be at most 300 characters")
        return v

    @field_validator("detected_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-11-01T12:00:00Z")
        return v


def parse_incident_input(data: dict[str, object]) -> IncidentInput:
    """Validate, turning pydantic's errors into one InvalidInput naming each field."""
    try:
        return IncidentInput.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "form"
            parts.append(f"{field}: {str(err['msg']).removeprefix('Value error, ')}")
        raise InvalidInput("The incident was not opened. " + "; ".join(parts) + ".") from None

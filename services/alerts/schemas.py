"""The shape of an Azure Monitor webhook body (common alert schema), validated before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.incidents.severities import Severity

# the incident's columns: source_ref holds the alert id, the title "Azure Monitor: <rule>" (both at most 300 characters)
AlertId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=285)]


class Essentials(BaseModel):
    """`data.essentials`: the fields every alert carries, whatever its signal."""

    model_config = ConfigDict(extra="allow")

    alertId: AlertId
    alertRule: RuleName
    severity: Severity
    monitorCondition: Literal["Fired", "Resolved"]
    firedDateTime: datetime
    resolvedDateTime: datetime | None = None
    description: str | None = None
    alertTargetIDs: list[str] | None = None
    investigationLink: str | None = None

    @field_validator("firedDateTime", "resolvedDateTime")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        # Azure sends UTC; a time without a zone is taken as UTC rather than refused
        return v if v is None or v.tzinfo else v.replace(tzinfo=UTC)


class AlertData(BaseModel):
    """`data`: the essentials plus the signal-specific context, which is kept as sent."""

    model_config = ConfigDict(extra="allow")

    essentials: Essentials
    alertContext: dict[str, Any] | None = None
    customProperties: dict[str, Any] | None = None


class CommonAlertPayload(BaseModel):
    """One Azure Monitor action-group webhook call with the common alert schema turned on."""

    model_config = ConfigDict(extra="allow")

    schemaId: Literal["azureMonitorCommonAlertSchema"] = Field(
        description="Turn on the common alert schema in the action group's webhook"
    )
    data: AlertData

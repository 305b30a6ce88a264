"""The validated input for creating or editing an SLO."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from services.errors import InvalidInput


class SloInput(BaseModel):
    """What a user fills in on the SLO form."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    service: str
    operation: str | None = None
    kind: Literal["availability", "latency"]
    objective: float
    threshold_ms: float | None = None
    window_days: Literal[7, 28, 30] = 30
    description: str = ""

    @field_validator("name", "service")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        if len(v) > 200:
            raise ValueError("must be at most 200 characters")
        return v

    @field_validator("operation")
    @classmethod
    def _blank_operation_is_none(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("objective")
    @classmethod
    def _objective_range(cls, v: float) -> float:
        if not 0 < v < 100:
            raise ValueError("must be strictly between 0 and 100 (percent), e.g. 99 or 99.9")
        return v

    @model_validator(mode="after")
    def _threshold(self) -> SloInput:
        if self.kind == "latency":
            if self.threshold_ms is None or not self.threshold_ms > 0:
                raise ValueError("a latency SLO needs a threshold in ms greater than 0, e.g. 300")
        else:
            self.threshold_ms = None
        return self


def parse_slo_input(data: dict[str, object]) -> SloInput:
    """Validate form data, turning pydantic's errors into one InvalidInput that names each field."""
    try:
        return SloInput.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "form"
            msg = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{field}: {msg}")
        raise InvalidInput("The SLO was not saved. " + "; ".join(parts) + ".") from None

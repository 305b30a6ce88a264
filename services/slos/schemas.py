"""The validated input for creating or editing an SLO."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from services.errors import InvalidInput
from services.slos import ratio

MAX_QUERY = 20_000


class SloInput(BaseModel):
    """What a user fills in on the SLO form (or an SLO file sets)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    service: str
    operation: str | None = None
    kind: Literal["availability", "latency", "ratio"]
    objective: float
    threshold_ms: float | None = None
    window_days: Literal[7, 28, 30] = 30
    description: str = ""
    good_query: str | None = None
    bad_query: str | None = None
    total_query: str | None = None

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

    @field_validator("good_query", "bad_query", "total_query")
    @classmethod
    def _query_parses(cls, v: str | None, info: ValidationInfo) -> str | None:
        if not v:
            return None
        if len(v) > MAX_QUERY:
            raise ValueError(f"must be at most {MAX_QUERY:,} characters")
        which = str(info.field_name).removesuffix("_query")
        problem = ratio.query_problem(v, which)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> SloInput:
        if self.kind == "latency":
            if self.threshold_ms is None or not self.threshold_ms > 0:
                raise ValueError("a latency SLO needs a threshold in ms greater than 0, e.g. 300")
        else:
            self.threshold_ms = None
        if self.kind == "ratio":
            self.operation = None  # the queries choose the rows
            if not self.total_query:
                raise ValueError("a ratio SLO needs a total query: the KQL whose rows are all events")
            if self.good_query and self.bad_query:
                raise ValueError("a ratio SLO takes a good query or a bad query, not both; leave one empty")
            if not self.good_query and not self.bad_query:
                raise ValueError("a ratio SLO needs a good query (or a bad query) beside its total query")
        else:
            self.good_query = self.bad_query = self.total_query = None
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

"""The validated input for saving a KQL query."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from services.errors import InvalidInput

MAX_TEXT = 100_000


class SavedQueryInput(BaseModel):
    """A name and the KQL text."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    text: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        if len(v) > 200:
            raise ValueError("must be at most 200 characters")
        return v

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v:
            raise ValueError("the query is empty; type some KQL first")
        if len(v) > MAX_TEXT:
            raise ValueError(f"must be at most {MAX_TEXT:,} characters")
        return v


def parse_saved_query(data: dict[str, object]) -> SavedQueryInput:
    """Validate a name and text, turning pydantic's errors into one InvalidInput that names each field."""
    try:
        return SavedQueryInput.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "query"
            parts.append(f"{field}: {str(err['msg']).removeprefix('Value error, ')}")
        raise InvalidInput("The query was not saved. " + "; ".join(parts) + ".") from None

"""The validated input of a feature and of a gate template item."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services import validation
from services.errors import InvalidInput
from services.features.phases import ENTRY_PHASE, PHASE_KEYS

RELEASE = validation.RELEASE
ITEM_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
MAX_OPERATIONS = 50
MAX_ITEMS = 100


class FeatureInput(BaseModel):
    """What a user fills in to create or edit a feature."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    title: str
    service: str
    description: str = ""
    owner: str = ""
    operations: list[str] = Field(default_factory=list)
    service_slos_cover: bool = False
    release: str | None = None
    commit: str | None = None
    work_item_url: str | None = None
    pull_request_url: str | None = None
    entry: str = "feature"

    @field_validator("title", "service")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty")
        if len(v) > 200:
            raise ValueError("must be at most 200 characters")
        return v

    @field_validator("operations")
    @classmethod
    def _operations(cls, v: list[str]) -> list[str]:
        names = list(dict.fromkeys(n.strip() for n in v if n.strip()))
        if len(names) > MAX_OPERATIONS:
            raise ValueError(f"at most {MAX_OPERATIONS} operations")
        long = [n for n in names if len(n) > 400]
        if long:
            raise ValueError("an operation name is at most 400 characters (a request name such as POST /api/orders)")
        return names

    _release = field_validator("release")(validation.release)
    _commit = field_validator("commit")(validation.commit)
    _links = field_validator("work_item_url", "pull_request_url")(validation.link)

    @field_validator("entry")
    @classmethod
    def _entry(cls, v: str) -> str:
        if v not in ENTRY_PHASE:
            raise ValueError(f"must be one of {', '.join(ENTRY_PHASE)}")
        return v


class TemplateItem(BaseModel):
    """One item of a phase's gate: checked from data (a named check) or a person's sign-off."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    key: str
    phase: str
    title: str
    kind: Literal["data", "sign-off"]
    check: str | None = None
    required: bool = True
    evidence_required: bool = False

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not ITEM_KEY.match(v):
            raise ValueError("must be lower-case letters, digits, '.', '_' or '-', starting with a letter")
        return v

    @field_validator("phase")
    @classmethod
    def _phase(cls, v: str) -> str:
        if v not in PHASE_KEYS:
            raise ValueError(f"must be one of {', '.join(PHASE_KEYS)}")
        return v

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if not v or len(v) > 300:
            raise ValueError("must be between 1 and 300 characters")
        return v


def parse_feature_input(data: dict[str, object]) -> FeatureInput:
    """Validate form or command-line data into one InvalidInput that names each bad field."""
    try:
        return FeatureInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation.refusal(exc, "feature")) from None


def parse_template_items(items: list[dict[str, object]]) -> list[TemplateItem]:
    """Validate a template's items (the checks they name are validated by the template module)."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("A gate template needs at least one item.")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"A gate template has at most {MAX_ITEMS} items; this one has {len(items)}.")
    try:
        return [TemplateItem.model_validate(i) for i in items]
    except ValidationError as exc:
        raise InvalidInput(validation.refusal(exc, "gate template")) from None

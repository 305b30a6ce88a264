"""A release's go or no-go over HTTP, for a pipeline's gate (Azure DevOps "Invoke REST API" check, GitHub Actions).

Success criterion for the Azure DevOps check: `eq(root['go'], true)`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from services.api.tokens import require_api_token
from services.auth import Actor
from services.config import Settings, get_settings
from services.db import session_scope
from services.features.releases import check_release
from services.features.schemas import RELEASE
from services.telemetry.factory import build_source

router = APIRouter(tags=["releases"])
SettingsDep = Annotated[Settings, Depends(get_settings)]
PIPELINE = Actor(name="api:release-gate", role="viewer")  # reads only; the audit log names it if it ever wrote


class FeatureGate(BaseModel):
    """One feature of the release."""

    id: int
    title: str
    phase: str
    open_items: list[str]


class ReleaseGate(BaseModel):
    """Go or no-go. Azure DevOps success criterion: eq(root['go'], true)."""

    release: str
    go: bool
    at: str
    features: list[FeatureGate]
    reasons: list[str] = Field(description="why it is no-go; empty when go")


@router.get(
    "/api/releases/{version}/gate",
    dependencies=[Depends(require_api_token)],
    responses={401: {"description": "wrong or missing bearer token"}, 404: {"description": "no feature targets it"}},
)
def release_gate(version: Annotated[str, Path(pattern=RELEASE.pattern, max_length=50)]) -> ReleaseGate:
    """Go (`go: true`) or no-go with the reasons; the same answer as `sre-backoffice release check VERSION --json`.
    The answer is 200 either way, so the pipeline's check evaluates `go`."""
    with session_scope() as s:
        verdict = check_release(s, actor=PIPELINE, source=build_source(), version=version)
    body: dict[str, Any] = verdict.as_json()
    return ReleaseGate.model_validate(body)

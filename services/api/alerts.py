"""Alerts that arrive over HTTP: Azure Monitor action-group webhooks (common alert schema)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from services.alerts import azure_monitor
from services.alerts.schemas import CommonAlertPayload
from services.api.tokens import token_ok
from services.config import Settings, get_settings
from services.db import begin_writing, session_scope

router = APIRouter(tags=["alerts"])
SettingsDep = Annotated[Settings, Depends(get_settings)]


class HookAnswer(BaseModel):
    """What became of the alert."""

    incident_id: int
    result: str = Field(description='"opened", "already known" or "resolved"')


def require_hook_token(
    settings: SettingsDep,
    token: Annotated[str | None, Query(description="SRE_WEBHOOK_TOKEN, as in the action group's webhook URL")] = None,
) -> None:
    """Refuse a call without the configured token (no token configured: every call), before the body is looked at."""
    if not token_ok(token, settings.api.webhook_token):
        raise HTTPException(401, "Wrong or missing token: the webhook URL needs ?token=<SRE_WEBHOOK_TOKEN>.")


@router.post(
    "/hooks/azure-monitor",
    dependencies=[Depends(require_hook_token)],
    responses={400: {"description": "not a common alert schema body"}, 401: {"description": "wrong token"}},
)
def azure_monitor_hook(payload: CommonAlertPayload, settings: SettingsDep) -> HookAnswer:
    """Open one incident per fired alertId (repeats are "already known"); a Resolved alert resolves it."""
    alert = azure_monitor.alert_of(payload)
    with session_scope() as s:  # a plain def: FastAPI runs it in its threadpool, so the database never blocks the loop
        begin_writing(s)
        incident_id, what = azure_monitor.ingest(s, alert, service=settings.telemetry.service_name)
    return HookAnswer(incident_id=incident_id, result=what)

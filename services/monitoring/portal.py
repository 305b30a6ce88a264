"""A deep link to one transaction in the Azure portal's Application Insights "end-to-end transaction details"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import pandas as pd

from services.errors import InvalidInput

if TYPE_CHECKING:
    from services.monitoring.transactions import Transaction

PORTAL = "https://portal.azure.com/#blade/AppInsightsExtension/DetailsV2Blade"
_RESOURCE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/microsoft\.insights/components/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
NEEDS_RESOURCE = (
    "A link to this transaction in the Azure portal needs the Application Insights resource id: set "
    "SRE_AZURE_RESOURCE_ID (/subscriptions/…/resourceGroups/…/providers/microsoft.insights/components/…)."
)


def component(resource_id: str) -> dict[str, str]:
    """The portal's ComponentId (Name, ResourceGroup, SubscriptionId) of an App Insights resource id."""
    m = _RESOURCE.match(resource_id.strip())
    if not m:
        raise InvalidInput(NEEDS_RESOURCE)
    return {"Name": m["name"], "ResourceGroup": m["rg"], "SubscriptionId": m["sub"]}


def transaction_link(resource_id: str | None, *, event_id: str, at: datetime, table: str = "requests") -> str:
    """The DetailsV2Blade URL of one telemetry item (the transaction's request Id, or its OperationId)."""
    if not resource_id:
        raise InvalidInput(NEEDS_RESOURCE)
    if at.tzinfo is None:
        raise InvalidInput("The transaction time has no time zone.")
    model = {
        "eventId": event_id,
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "eventTable": table,
    }

    def part(value: dict[str, str]) -> str:
        return quote(json.dumps(value, separators=(",", ":")), safe="")

    return f"{PORTAL}/DataModel/{part(model)}/ComponentId/{part(component(resource_id))}"


def for_transaction(resource_id: str | None, tx: Transaction) -> str:
    """The portal link of a transaction: its entry request's Id and time (the OperationId when it has no request)."""
    root = tx.root
    if root is not None and root["id"]:
        return transaction_link(resource_id, event_id=str(root["id"]), at=pd.Timestamp(root["start"]).to_pydatetime())
    first = pd.Timestamp(tx.items["start"].min()).to_pydatetime()
    return transaction_link(resource_id, event_id=tx.operation_id, at=first)

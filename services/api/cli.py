"""`sre-backoffice api`: the HTTP API (Azure Monitor webhooks, health, OpenAPI) on SRE_BIND_ADDRESS:SRE_API_PORT."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], None]


def register(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """Add the `api` command."""
    sub.add_parser("api", help="serve the HTTP API (webhooks, /healthz, /openapi.json) on SRE_API_PORT")
    return {("api", None): _api}


def _api(args: argparse.Namespace) -> None:
    # lazy: keeps the CLI fast
    from services.api import server
    from services.config import get_settings
    from services.errors import InvalidInput

    settings = get_settings()
    try:
        keys = settings.ingest.key_environments()
    except ValueError as exc:
        raise InvalidInput(f"{exc}; write it as dev=00000000-0000-0000-0000-000000000001,staging=...") from None
    hook = "" if settings.api.webhook_token else " (refusing every webhook call: set SRE_WEBHOOK_TOKEN)"
    where = f"http://{settings.ui.bind_address}:{settings.api.port}"
    print(f"api: Azure Monitor webhook on {where}/hooks/azure-monitor{hook}; OpenAPI at {where}/docs", flush=True)
    envs = ", ".join(sorted(set(keys.values())))
    ingest = f"keys of {envs}" if keys else "refusing every key: set SRE_INGEST_KEYS"
    print(f"api: Application Insights ingestion on {where}/v2/track ({ingest})", flush=True)
    print(f"api: OpenTelemetry OTLP/HTTP on {where}/v1/traces, /v1/logs, /v1/metrics (same keys)", flush=True)
    server.serve(settings)

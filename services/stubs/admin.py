"""A running WireMock's admin API, read-only: its request journal, the requests no stub matched, and their
near-misses (WireMock 3.x: GET /__admin/requests, /__admin/requests/unmatched, /__admin/requests/unmatched/near-misses).
Shows a developer which calls of an integration test hit no stub, and the stub each came closest to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from services.errors import ExternalServiceError, InvalidInput
from services.notify.http import HttpFailure, fetch

TIMEOUT_S = 5.0
MAX_REQUESTS = 200  # the journal entries read at most, newest first


@dataclass(frozen=True)
class Journal:
    """What the WireMock saw: recent requests, the unmatched ones, and the near-miss of each unmatched one."""

    requests: list[dict[str, Any]]  # method, url, status, matched, stub, at
    total: int
    unmatched: list[dict[str, Any]]  # method, url, at
    near_misses: list[dict[str, Any]]  # method, url, closest stub, distance


def _base(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"SRE_WIREMOCK_ADMIN_URL {url!r} is not an http(s) URL, such as http://127.0.0.1:8080.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/').removesuffix('/__admin')}/__admin"


def _get(base: str, path: str) -> Any:
    answer = fetch("GET", base + path, headers={"Accept": "application/json"}, timeout_s=TIMEOUT_S)
    if isinstance(answer, HttpFailure):
        raise ExternalServiceError(f"WireMock at {base} did not answer: {answer.cause}. Is it running?")
    if answer.status != 200:
        raise ExternalServiceError(f"WireMock at {base} answered {answer.status} to GET {path}; is it WireMock 3?")
    try:
        return json.loads(answer.body)
    except ValueError:
        raise ExternalServiceError(f"WireMock at {base} answered GET {path} with something that is not JSON.") from None


def _request_row(entry: dict[str, Any]) -> dict[str, Any]:
    req = entry.get("request") or {}
    stub = entry.get("stubMapping") or {}
    return {
        "at": req.get("loggedDateString", ""),
        "method": req.get("method", ""),
        "url": req.get("url", ""),
        "status": (entry.get("response") or entry.get("responseDefinition") or {}).get("status"),
        "matched": bool(entry.get("wasMatched")),
        "stub": stub.get("name") or stub.get("id") or "",
    }


def journal(admin_url: str) -> Journal:
    """The journal of the WireMock at `admin_url` (its base URL, with or without /__admin)."""
    base = _base(admin_url)
    recent = _get(base, f"/requests?limit={MAX_REQUESTS}")
    unmatched = _get(base, "/requests/unmatched")
    misses = _get(base, "/requests/unmatched/near-misses")
    near = []
    for miss in misses.get("nearMisses") or []:
        req, stub = miss.get("request") or {}, miss.get("stubMapping") or {}
        near.append(
            {
                "method": req.get("method", ""),
                "url": req.get("url", ""),
                "closest stub": stub.get("name") or stub.get("id") or "",
                "distance": (miss.get("matchResult") or {}).get("distance"),
            }
        )
    return Journal(
        requests=[_request_row(e) for e in recent.get("requests") or []],
        total=int((recent.get("meta") or {}).get("total") or 0),
        unmatched=[
            {"at": r.get("loggedDateString", ""), "method": r.get("method", ""), "url": r.get("url", "")}
            for r in unmatched.get("requests") or []
        ],
        near_misses=near,
    )

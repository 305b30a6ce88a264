"""Transaction search and one transaction's items (request, dependencies, exceptions, traces, events)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.errors import InvalidInput, NotFound
from services.monitoring.common import fetch
from services.monitoring.timeline import ITEM_QUERIES, unify
from services.telemetry.runner import Runner, may_read

PROPERTY_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
SEARCH_LIMIT = 100  # the `top` of transaction_search
SEARCH_STEPS = (timedelta(hours=1), timedelta(days=1))  # newest first: look in the last hour, then the last day
DETAIL_WINDOW = timedelta(hours=1)  # items of a transaction lie around its request's time


@dataclass(frozen=True)
class Criteria:
    """What to search for; empty strings match anything."""

    operation_id: str = ""
    operation: str = ""
    result_code: str = ""
    role: str = ""
    prop_key: str = ""
    prop_value: str = ""


def property_key(key: str) -> str:
    """A custom property name checked to be letters, digits, `_`, `.` or `-` (rendered as Properties["key"])."""
    key = key.strip()
    if not PROPERTY_KEY.fullmatch(key):
        raise InvalidInput(
            f"The property name {key!r} is not allowed: use letters, digits, '_', '.' or '-' only "
            "(for example account or shopId)."
        )
    return key


def search(run: Runner, *, actor: Actor, start: datetime, end: datetime, criteria: Criteria) -> pd.DataFrame:
    """The latest 100 requests matching the criteria, newest first.

    The newest 100 of the last hour (or day) are the newest 100 of the whole range when there are 100 of them,
    so the search reads the last hour, then the last day, and the whole range only when it must.
    """
    may_read(actor)
    params: dict[str, str] = {
        "operation_id": criteria.operation_id.strip(),
        "operation": criteria.operation.strip(),
        "result_code": criteria.result_code.strip(),
        "role": criteria.role.strip(),
    }
    if criteria.prop_key.strip():
        name = "transaction_search_property"
        params |= {"prop_key": property_key(criteria.prop_key), "prop_value": criteria.prop_value}
    elif criteria.prop_value:
        raise InvalidInput("A property value was given without a property name; fill in both or neither.")
    else:
        name = "transaction_search"
    frame = pd.DataFrame()
    for step in [*(s for s in SEARCH_STEPS if s < end - start), end - start]:
        frame = fetch(run, name, end - step, end, [], actor=actor, **params)
        if len(frame) >= SEARCH_LIMIT:
            break
    return frame


@dataclass
class Transaction:
    """Every item of one OperationId in one frame (see timeline.unify) and the range it was read over."""

    operation_id: str
    items: pd.DataFrame
    start: datetime
    end: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def root(self) -> pd.Series | None:
        """The first request of the transaction (its entry point), if any."""
        reqs = self.items[self.items["item_type"] == "request"]
        return None if reqs.empty else reqs.sort_values("start").iloc[0]


def parse_at(text: str | None) -> datetime | None:
    """An ISO-8601 time from a link (taken as UTC when it has no zone); None when missing or malformed."""
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(at: datetime | None, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The range to read one transaction over: an hour either side of `at` when known, else [start, end]."""
    return (at - DETAIL_WINDOW, at + DETAIL_WINDOW) if at is not None else (start, end)


def details(
    run: Runner,
    *,
    actor: Actor,
    operation_id: str,
    start: datetime,
    end: datetime,
    at: datetime | None = None,
) -> Transaction:
    """Every request, dependency, exception, trace and event of one OperationId; NotFound when none."""
    may_read(actor)
    operation_id = operation_id.strip()
    if not operation_id:
        raise InvalidInput("Enter an OperationId (the operation_Id shared by every item of a transaction).")
    lo, hi = window(at, start, end)
    notes: list[str] = []
    parts = {
        kind: fetch(run, name, lo, hi, notes, actor=actor, operation_id=operation_id)
        for kind, name in ITEM_QUERIES.items()
    }
    items = unify(parts, operation_id)
    if items.empty:
        raise NotFound(
            f"No telemetry with OperationId {operation_id!r} between {lo:%Y-%m-%d %H:%M} and {hi:%Y-%m-%d %H:%M} UTC. "
            "Check the id, or widen the time range."
        )
    return Transaction(operation_id=operation_id, items=items, start=lo, end=hi, notes=notes)

"""Which runbook an incident follows and which of its steps are ticked, read from the timeline.

No permission check here: the callers (runbooks.runbook_for, service.transition) have checked the actor already.
Kept apart from runbooks.py so that the status workflow can ask it without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.incidents import repository as repo
from services.incidents.models import Incident, Runbook

SIGNATURE = ("service", "operation", "exception_type", "result_code", "dependency")


@dataclass(frozen=True)
class RunbookView:
    """A runbook version and, for one incident, which steps are done."""

    id: int
    key: str
    version: int
    title: str
    steps: list[str]
    done: list[bool]
    signature: dict[str, str | None]

    @property
    def unticked(self) -> list[int]:
        """The steps not done yet, numbered from 1."""
        return [i + 1 for i, d in enumerate(self.done) if not d]


def match(incident: Incident | dict[str, Any], runbooks: list[Runbook]) -> Runbook | None:
    """The most specific runbook all of whose signature fields equal the incident's; None when none fits."""
    get = incident.get if isinstance(incident, dict) else (lambda f: getattr(incident, f))
    best, best_score = None, 0
    for rb in runbooks:
        fields = [f for f in SIGNATURE if getattr(rb, f)]
        if fields and all(get(f) == getattr(rb, f) for f in fields) and len(fields) > best_score:
            best, best_score = rb, len(fields)
    return best


def progress(session: Session, incident: Incident) -> RunbookView | None:
    """The runbook the incident follows (the version first ticked, else the best match) with its ticked steps."""
    ticks = [e for e in repo.events(session, incident.id) if e.kind == "runbook_step" and e.data]
    rb = repo.get_runbook(session, ticks[0].data["runbook_id"]) if ticks and ticks[0].data else None
    rb = rb or match(incident, repo.latest_runbooks(session))
    if rb is None:
        return None
    done = [False] * len(rb.steps)
    for e in ticks:
        if e.data and e.data.get("runbook_id") == rb.id and 0 <= e.data["step"] < len(done):
            done[e.data["step"]] = bool(e.data["done"])
    return RunbookView(
        rb.id, rb.key, rb.version, rb.title, list(rb.steps), done, {f: getattr(rb, f) for f in SIGNATURE}
    )

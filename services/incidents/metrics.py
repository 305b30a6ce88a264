"""Incident metrics: MTTA and MTTR by severity and month, classification counts, postmortem follow-through.

MTTA = mean(acknowledged_at − detected_at) over acknowledged incidents
MTTR = mean(resolved_at − detected_at) over resolved incidents
Both grouped by the month (UTC) the incident was detected in.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from services.auth import Actor, require
from services.incidents import repository as repo
from services.postmortems import repository as postmortem_repo


def incident_frame(session: Session, *, actor: Actor) -> pd.DataFrame:
    """One row per incident with its times, month and the minutes to acknowledge and to resolve."""
    require(actor, "incident.read")
    rows = [i.as_dict() for i in repo.search(session, limit=100_000)]
    cols = ["id", "title", "severity", "classification", "status", "detected_at", "acknowledged_at", "resolved_at"]
    f = pd.DataFrame(rows, columns=cols + [c for c in (rows[0] if rows else {}) if c not in cols])[cols]
    for c in ("detected_at", "acknowledged_at", "resolved_at"):
        f[c] = pd.to_datetime(f[c], utc=True)
    f["month"] = f["detected_at"].dt.strftime("%Y-%m")
    f["tta_min"] = (f["acknowledged_at"] - f["detected_at"]).dt.total_seconds() / 60
    f["ttr_min"] = (f["resolved_at"] - f["detected_at"]).dt.total_seconds() / 60
    return f


def mtta_mttr(frame: pd.DataFrame) -> pd.DataFrame:
    """Per month and severity: incidents, MTTA and MTTR in minutes (NaN where none was acknowledged/resolved)."""
    if frame.empty:
        return pd.DataFrame(columns=["month", "severity", "incidents", "mtta_min", "mttr_min"])
    g = frame.groupby(["month", "severity"], as_index=False)
    return g.agg(incidents=("id", "count"), mtta_min=("tta_min", "mean"), mttr_min=("ttr_min", "mean"))


def by_classification(frame: pd.DataFrame) -> pd.DataFrame:
    """Incidents per classification."""
    return frame.groupby("classification", as_index=False).agg(incidents=("id", "count"))


def postmortem_follow_through(session: Session, *, actor: Actor) -> dict[str, Any]:
    """Postmortems by status, open action items, and the error budget each incident burned (from its impact)."""
    require(actor, "incident.read")
    pms = postmortem_repo.list_all(session)
    burned = [
        {"incident_id": p.incident_id, "slo": s["slo"], "burned": s["burned"]}
        for p in pms
        for s in (p.impact or {}).get("slos", [])
        if s.get("burned") is not None
    ]
    return {
        "published": sum(p.status == "published" for p in pms),
        "in_progress": sum(p.status != "published" for p in pms),
        "open_action_items": sum(1 for p in pms for a in p.action_items or [] if not a.get("done")),
        "budget_burned": burned,
    }

"""A release's go or no-go: its features through Testing & Integration with their gates passed or waived, error
budget left on every SLO of its services, and no Sev0/Sev1 incident open on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.auth import Actor, require
from services.errors import NotFound
from services.features import repository as repo
from services.features import service as feature_service
from services.features.phases import PHASE_KEYS, PHASE_NAMES, RELEASE_READY
from services.incidents import service as incident_service
from services.incidents.severities import PAGING
from services.incidents.workflow import OPEN_STATUSES
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition, evaluate
from services.telemetry.source import TelemetrySource


@dataclass
class ReleaseVerdict:
    """The answer of `release check` and of GET /api/releases/{version}/gate."""

    release: str
    go: bool
    at: datetime
    features: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON shape: release, go, at, features [{id, title, phase, open_items}], reasons."""
        return {
            "release": self.release,
            "go": self.go,
            "at": self.at.isoformat(),
            "features": self.features,
            "reasons": self.reasons,
        }


def check_release(
    session: Session, *, actor: Actor, source: TelemetrySource, version: str, at: datetime | None = None
) -> ReleaseVerdict:
    """Go or no-go for the release `version`, with every reason it is not go; NotFound for a release no feature
    targets."""
    require(actor, "release.read")
    at = (at or datetime.now(UTC)).astimezone(UTC)
    rows = repo.list_features(session, release=version)
    if not rows:
        known = ", ".join(repo.releases(session)) or "none yet"
        raise NotFound(f"No feature targets release {version!r}; releases with features: {known}.")
    upto = set(PHASE_KEYS[: PHASE_KEYS.index(RELEASE_READY) + 1])
    judged, _ = feature_service.gates(
        session, actor=actor, source=source, feature_ids=[f.id for f in rows], at=at, phases=upto
    )
    verdict = ReleaseVerdict(release=version, go=True, at=at)
    for g in judged:
        f = g.feature
        blockers = g.release_blockers()
        verdict.features.append(
            {"id": f.id, "title": f.title, "phase": f.phase, "open_items": [i.key for i in blockers]}
        )
        if PHASE_KEYS.index(f.phase) < PHASE_KEYS.index(RELEASE_READY):
            verdict.reasons.append(
                f"Feature #{f.id} {f.title!r} is in {PHASE_NAMES[f.phase]}; a release needs its features at "
                f"{PHASE_NAMES[RELEASE_READY]} or later."
            )
        for item in blockers:
            verdict.reasons.append(f"Feature #{f.id} {f.title!r}: {item.key} ({item.title}) is open: {item.detail}")
    services = sorted({f.service for f in rows})
    slos = [SloDefinition.of(s) for s in slo_service.list_slos(session, actor=actor) if s.service in services]
    for st in evaluate(source, slos, actor=actor, at=at) if slos else []:
        if st.total and st.remaining <= 0:
            verdict.reasons.append(
                f"SLO {st.slo.name!r} has no error budget left: {st.remaining:.1%} remaining over "
                f"{st.slo.window_days} days ({st.bad:,} bad of {st.total:,} requests, {st.allowed_bad:,.0f} allowed)."
            )
    for inc in incident_service.list_incidents(session, actor=actor, statuses=list(OPEN_STATUSES)):
        if inc.service in services and inc.severity in PAGING:
            verdict.reasons.append(
                f"Incident #{inc.id} ({inc.severity}, {inc.status}) is open on {inc.service}: {inc.title}"
            )
    verdict.go = not verdict.reasons
    return verdict

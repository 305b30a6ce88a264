"""The plain values the gates read of features, alert rules, incidents and test runs, detached from the session."""

from __future__ import annotations

from dataclasses import dataclass

from services.alerts import evaluation as alert_eval
from services.features.models import Feature


@dataclass(frozen=True)
class FeatureView:
    """A feature's plain values, detached from the session."""

    id: int
    title: str
    service: str
    operations: tuple[str, ...]
    service_slos_cover: bool
    release: str | None
    commit: str | None
    phase: str
    entry: str
    owner: str
    template_version: int
    version: int
    work_item_url: str | None = None
    pull_request_url: str | None = None
    description: str = ""

    @classmethod
    def of(cls, f: Feature) -> FeatureView:
        """Copy a stored feature."""
        return cls(
            f.id,
            f.title,
            f.service,
            tuple(f.operations or ()),
            bool(f.service_slos_cover),
            f.release,
            f.commit,
            f.phase,
            f.entry,
            f.owner,
            f.template_version,
            f.version,
            f.work_item_url,
            f.pull_request_url,
            f.description,
        )


@dataclass(frozen=True)
class RuleView:
    """An alert rule as the gates see it."""

    id: int
    name: str
    kind: str
    query: str
    slo_id: int | None
    enabled: bool
    spec: alert_eval.RuleSpec | None


@dataclass(frozen=True)
class IncidentView:
    """An incident as the gates see it."""

    id: int
    title: str
    service: str
    operation: str | None
    severity: str
    status: str
    postmortem_id: int | None
    postmortem_status: str | None


@dataclass(frozen=True)
class TestRunView:
    """A test run as the gates see it."""

    __test__ = False  # not a pytest test class

    id: int
    service: str
    kind: str
    release: str | None
    commit: str | None
    outcome: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int

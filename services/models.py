"""Every table, imported in one place so Alembic and tests see the whole schema."""

from services.alerts.models import Alert, AlertEvent, AlertRule, OutboxMessage
from services.audit import AuditRecord
from services.db import Base
from services.features.models import Feature, FeatureMove, GateSignOff, GateTemplate
from services.incidents.models import BoardIssueLink, Incident, IncidentEvent, Runbook, SeverityDefinition
from services.loadtests.models import LoadTestCheck, LoadTestEndpoint, LoadTestRun, LoadTestThreshold
from services.postmortems.models import Postmortem
from services.preferences.models import UserPreference
from services.saved_queries.models import SavedQuery
from services.slos.models import Slo
from services.stubs.models import StubSet, StubSetVersion
from services.testruns.models import TestRun

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AuditRecord",
    "Base",
    "BoardIssueLink",
    "Feature",
    "FeatureMove",
    "GateSignOff",
    "GateTemplate",
    "Incident",
    "IncidentEvent",
    "LoadTestCheck",
    "LoadTestEndpoint",
    "LoadTestRun",
    "LoadTestThreshold",
    "OutboxMessage",
    "Postmortem",
    "Runbook",
    "SavedQuery",
    "SeverityDefinition",
    "Slo",
    "StubSet",
    "StubSetVersion",
    "TestRun",
    "UserPreference",
]

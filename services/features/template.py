"""The gate checklist: the data checks there are, the team's first template, and what makes a template valid."""

from __future__ import annotations

from typing import Any

from services.errors import InvalidInput
from services.features.phases import PHASE_KEYS
from services.features.schemas import TemplateItem, parse_template_items

# the checks an item of kind "data" can name: what each one asks of the data (services/features/checks.py)
DATA_CHECKS: dict[str, str] = {
    "slo_covers_operations": "an SLO covers each of the feature's operations (or the service-wide SLOs are declared "
    "to)",
    "alert_watches": "at least one enabled alert rule watches the feature's operations or an SLO covering them",
    "operations_in_telemetry": "each of the feature's operations served requests in the last 7 days of telemetry",
    "no_new_exceptions": "no exception type new to the feature's operations in the last 24 h (none in the 7 days "
    "before)",
    "load_test_meets_slos": "a k6 run tagged with the feature's release covers its operations and meets the "
    "service's SLOs",
    "alert_backtest_quiet": "the alert rules watching the feature did not fire over the last 7 days",
    "within_slo_since_release": "the feature's operations met every covering SLO since the release was first seen",
    "no_open_incidents": "no open incident touches the feature's operations",
    "unit_tests_passed": "the newest unit-test run of the feature's service for its commit or release passed",
    "integration_tests_passed": "the newest integration-test run of the feature's service for its commit or release "
    "passed",
    "postmortems_linked": "every resolved Sev0–Sev2 incident touching the feature's operations has a postmortem",
}


def _data(key: str, phase: str, title: str, check: str, *, required: bool = True) -> dict[str, Any]:
    return {"key": key, "phase": phase, "title": title, "kind": "data", "check": check, "required": required}


def _sign(key: str, phase: str, title: str, *, required: bool = True, evidence: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "phase": phase,
        "title": title,
        "kind": "sign-off",
        "required": required,
        "evidence_required": evidence,
    }


# The team's process notes, item by item. Their notes put "operations appear in dev telemetry" under Design "once
# implemented": it can only pass after Implementation, so this template asks for it at the Implementation gate.
DEFAULT_ITEMS: list[dict[str, Any]] = [
    _sign("planning.scope", "planning", "Scope, owner and target release agreed"),
    _sign("analysis.requirements", "analysis", "Requirements and concepts written", evidence=True),
    _sign("design.ui", "design", "UI wireframe and UI design demoed", required=False),
    _sign("design.interfaces", "design", "Interfaces, APIs and components designed", evidence=True),
    _sign("design.scenarios", "design", "Scenarios written", required=False),
    _sign("design.monitoring", "design", "Monitoring designed: the metrics and log data the feature emits"),
    _data("design.slo", "design", "An SLO covers each operation", "slo_covers_operations"),
    _data("design.alert", "design", "Incident Response designed: an alert rule watches it", "alert_watches"),
    _sign("implementation.pilot", "implementation", "Pilot technique tried", required=False),
    _sign("implementation.unit_tests", "implementation", "Unit tests passed", evidence=True),
    _sign("implementation.integration_tests", "implementation", "Integration tests passed", evidence=True),
    _data("implementation.telemetry", "implementation", "Operations seen in telemetry", "operations_in_telemetry"),
    _data("implementation.exceptions", "implementation", "No new exception types", "no_new_exceptions"),
    _data("testing.load_test", "testing", "Performance test: a k6 run meets the SLOs", "load_test_meets_slos"),
    _sign("testing.security", "testing", "Security test passed", evidence=True),
    _data("testing.alert_backtest", "testing", "Alert rules quiet over the last 7 days", "alert_backtest_quiet"),
    _data("maintenance.slo", "maintenance", "Within SLO since release", "within_slo_since_release"),
    _data("maintenance.incidents", "maintenance", "No open incidents", "no_open_incidents", required=False),
    _data("maintenance.postmortems", "maintenance", "Postmortems linked", "postmortems_linked", required=False),
]


def validate_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items as stored: validated, keys unique, checks known, in phase order; InvalidInput says what is wrong."""
    parsed: list[TemplateItem] = parse_template_items(items)
    seen: set[str] = set()
    for item in parsed:
        if item.key in seen:
            raise InvalidInput(f"The gate template was not saved: the key {item.key!r} is used twice.")
        seen.add(item.key)
        if item.kind == "data":
            if item.check not in DATA_CHECKS:
                raise InvalidInput(
                    f"The gate template was not saved: item {item.key!r} names the check {item.check!r}; "
                    f"checks: {', '.join(DATA_CHECKS)}."
                )
            item.evidence_required = False
        else:
            item.check = None
    ordered = sorted(parsed, key=lambda i: PHASE_KEYS.index(i.phase))  # stable: keeps the order within a phase
    return [i.model_dump() for i in ordered]

"""The page list, grouped by SRE practice, built per role: a page is offered to whoever holds the permission it
needs to show anything (the service layer still checks every call)."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from services.auth import Actor, can


class NavPage(NamedTuple):
    """One page of the navigation and the permission a user needs to get anything out of it."""

    path: str
    title: str
    icon: str
    url: str
    permission: str


PAGES: dict[str, list[NavPage]] = {
    "Overview": [
        NavPage("../pages/home.py", "SDLC workflow", ":material/account_tree:", "home", "slo.read"),
        NavPage("../pages/feature.py", "Feature", ":material/task_alt:", "feature", "feature.read"),
        NavPage("../pages/gate_template.py", "Gate template", ":material/fact_check:", "gate_template", "feature.read"),
    ],
    "Monitoring": [
        NavPage("../pages/slos.py", "SLOs & error budgets", ":material/speed:", "slos", "slo.read"),
        NavPage("../pages/live_metrics.py", "Live metrics", ":material/monitor_heart:", "live", "telemetry.query"),
        NavPage("../pages/logs.py", "Logs (KQL)", ":material/manage_search:", "logs", "telemetry.query"),
        NavPage("../pages/failures.py", "Failures", ":material/error:", "failures", "telemetry.query"),
        NavPage("../pages/performance.py", "Performance", ":material/timer:", "performance", "telemetry.query"),
        NavPage(
            "../pages/transactions.py", "Transactions", ":material/receipt_long:", "transactions", "telemetry.query"
        ),
        NavPage("../pages/app_map.py", "Application map", ":material/hub:", "app_map", "telemetry.query"),
    ],
    "Incident Response": [
        NavPage("../pages/triage.py", "Triage queue", ":material/emergency:", "triage", "incident.read"),
        NavPage(
            "../pages/alert_rules.py", "Alert rules", ":material/notifications_active:", "alert_rules", "alert.read"
        ),
        NavPage(
            "../pages/notifications.py",
            "Notification log",
            ":material/outgoing_mail:",
            "notifications",
            "notification.read",
        ),
        NavPage("../pages/runbooks.py", "Runbooks", ":material/checklist:", "runbooks", "incident.read"),
        NavPage(
            "../pages/incident_metrics.py",
            "Incident metrics",
            ":material/insights:",
            "incident_metrics",
            "incident.read",
        ),
    ],
    "Postmortem & RCA": [
        NavPage("../pages/postmortems.py", "Postmortems", ":material/history_edu:", "postmortems", "incident.read"),
    ],
    "Product": [
        NavPage("../pages/business.py", "Business metrics", ":material/storefront:", "business", "telemetry.query"),
    ],
    "Testing & Capacity Planning": [
        NavPage("../pages/testing.py", "Test runs", ":material/science:", "testing", "testrun.read"),
        NavPage("../pages/stubs.py", "WireMock stubs", ":material/dns:", "stubs", "stub.read"),
        NavPage("../pages/testing_guide.py", "Testing guide", ":material/menu_book:", "testing_guide", "testrun.read"),
        NavPage("../pages/loadtests.py", "Load tests", ":material/bolt:", "loadtests", "loadtest.read"),
        NavPage(
            "../pages/loadtest_compare.py",
            "Compare runs",
            ":material/compare_arrows:",
            "loadtest_compare",
            "loadtest.read",
        ),
        NavPage("../pages/capacity.py", "Capacity plan", ":material/trending_up:", "capacity", "loadtest.read"),
    ],
    "Administration": [
        NavPage("../pages/audit.py", "Audit log", ":material/history:", "audit", "audit.read"),
    ],
}


def build(actor: Actor) -> dict[str, list[st.Page]]:
    """st.Page objects per section that `actor` may use; st.navigation makes the first one the default."""
    # a section left empty for a role needs no filtering: st.navigation shows no header without pages
    return {
        section: [
            st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url) for p in pages if can(actor, p.permission)
        ]
        for section, pages in PAGES.items()
    }

"""The page list, grouped by SRE practice."""

from __future__ import annotations

import streamlit as st

PAGES = {
    "Overview": [
        ("../pages/home.py", "SDLC workflow", ":material/account_tree:", "home"),
    ],
    "Monitoring": [
        ("../pages/slos.py", "SLOs & error budgets", ":material/speed:", "slos"),
        ("../pages/live_metrics.py", "Live metrics", ":material/monitor_heart:", "live"),
        ("../pages/logs.py", "Logs (KQL)", ":material/manage_search:", "logs"),
        ("../pages/failures.py", "Failures", ":material/error:", "failures"),
        ("../pages/performance.py", "Performance", ":material/timer:", "performance"),
        ("../pages/transactions.py", "Transactions", ":material/receipt_long:", "transactions"),
        ("../pages/app_map.py", "Application map", ":material/hub:", "app_map"),
    ],
    "Incident Response": [
        ("../pages/triage.py", "Triage queue", ":material/emergency:", "triage"),
        ("../pages/alert_rules.py", "Alert rules", ":material/notifications_active:", "alert_rules"),
        ("../pages/notifications.py", "Notification log", ":material/outgoing_mail:", "notifications"),
        ("../pages/runbooks.py", "Runbooks", ":material/checklist:", "runbooks"),
        ("../pages/incident_metrics.py", "Incident metrics", ":material/insights:", "incident_metrics"),
    ],
    "Postmortem & RCA": [
        ("../pages/postmortems.py", "Postmortems", ":material/history_edu:", "postmortems"),
    ],
    "Product": [
        ("../pages/business.py", "Business metrics", ":material/storefront:", "business"),
    ],
    "Testing & Capacity Planning": [
        ("../pages/loadtests.py", "Load tests", ":material/bolt:", "loadtests"),
        ("../pages/loadtest_compare.py", "Compare runs", ":material/compare_arrows:", "loadtest_compare"),
        ("../pages/capacity.py", "Capacity plan", ":material/trending_up:", "capacity"),
    ],
    "Administration": [
        ("../pages/audit.py", "Audit log", ":material/history:", "audit"),
    ],
}


def build() -> dict[str, list[st.Page]]:
    """st.Page objects per section; the first page is the default."""
    out: dict[str, list[st.Page]] = {}
    first = True
    for section, pages in PAGES.items():
        if not pages:
            continue
        out[section] = []
        for path, title, icon, url in pages:
            out[section].append(st.Page(path, title=title, icon=icon, url_path=url, default=first))
            first = False
    return out

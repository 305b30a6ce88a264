"""The page list, grouped by SRE practice."""

from __future__ import annotations

import streamlit as st

PAGES = {
    "Overview": [
        ("../pages/home.py", "SDLC workflow", ":material/account_tree:", "home"),
    ],
    "Monitoring": [
        ("../pages/slos.py", "SLOs & error budgets", ":material/speed:", "slos"),
        ("../pages/logs.py", "Logs (KQL)", ":material/manage_search:", "logs"),
    ],
    "Incident Response": [
        ("../pages/triage.py", "Triage queue", ":material/emergency:", "triage"),
    ],
    "Product": [],
    "Testing & Capacity Planning": [],
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

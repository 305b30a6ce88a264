"""Seed the app's state with user text that would make a browser fetch a URL if it were rendered as Markdown:
`python -m tests.e2e.hostile_seed BASE_URL` (BASE_URL: a local server that counts what it is asked for)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.alerts import service as alert_service
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.incidents import runbooks
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.incidents.severities import update_definition
from services.loadtests import service as loadtests
from services.loadtests.schemas import InputFile, parse_import_options
from services.postmortems import service as postmortems
from services.slos import service as slos
from services.slos.schemas import SloInput
from services.telemetry import clef_import

ADMIN = Actor("admin", "admin")
K6_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "k6" / "out.ndjson"
OPERATION_ID = "0123456789abcdef0123456789abcdef"


def payload(base: str, where: str) -> str:
    """Each way Markdown (and Streamlit's extensions to it) could turn text into a request or a link, in 200 chars."""
    return (
        f"{where} ![x]({base}/{where}.png) [l]({base}/{where}l) <img src='{base}/{where}h.png'> <{base}/{where}a> "
        f"{base}/{where}b :red[r]"
    )[:200]


def main(base: str) -> None:
    """Write one of each: incident, note, runbook, severity scope, postmortem, alert rule, SLO, CLEF events, k6 run."""
    cfg = get_settings()
    with session_scope() as s:
        inc = incidents.create_incident(
            s,
            actor=ADMIN,
            data=parse_incident_input(
                {
                    "title": payload(base, "incident-title"),
                    "service": "mana",
                    "severity": "Sev1",
                    "description": payload(base, "incident-description"),
                    "operation_ids": [payload(base, "incident-operation")],
                }
            ),
        )
        incidents.add_note(s, actor=ADMIN, incident_id=inc.id, text=payload(base, "note"))
        runbooks.save_runbook(
            s,
            actor=ADMIN,
            key="hostile",
            title=payload(base, "runbook-title"),
            steps=[payload(base, "runbook-step")],
            signature={"service": "mana"},
        )
        incidents.classify(s, actor=ADMIN, incident_id=inc.id, classification="protocol")
        update_definition(s, actor=ADMIN, severity="Sev1", scope=payload(base, "severity-scope"), ack_target_minutes=5)
        pm = postmortems.ensure_postmortem(s, actor=ADMIN, incident_id=inc.id)
        postmortems.update_postmortem(
            s,
            actor=ADMIN,
            postmortem_id=pm.id,
            fields={
                "summary": payload(base, "pm-summary"),
                "action_items": [
                    {"text": payload(base, "pm-item"), "owner": payload(base, "pm-owner"), "done": False},
                    {"text": payload(base, "pm-linked-item"), "owner": "", "done": False},
                ],
            },
        )
        postmortems.link_action_item(
            s,
            actor=ADMIN,
            postmortem=pm,
            index=1,
            url=f"https://github.com/contoso/mana/issues/1) ![y]({base}/pm-board-image.png",
        )
        alert_service.create_rule(
            s,
            actor=ADMIN,
            data={
                "name": payload(base, "alert-rule"),
                "query": "AppRequests | where Success == false",
                "aggregation": "Count",
                "operator": "GreaterThan",
                "threshold": 1000,
                "severity": "Sev3",
                "actions": [],
            },
        )
        slos.create_slo(
            s,
            actor=ADMIN,
            data=SloInput(
                name=payload(base, "slo-name"),
                service="mana",
                operation=payload(base, "slo-op"),
                kind="availability",
                objective=99.0,
            ),
        )
    at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    events = [
        {"@t": at, "@mt": payload(base, "clef-message"), "@tr": OPERATION_ID, "@l": "Warning"},
        {
            "@t": at,
            "@m": payload(base, "clef-error"),
            "@tr": OPERATION_ID,
            "@l": "Error",
            "@x": payload(base, "clef-x"),
        },
    ]
    clef = "\n".join(json.dumps(e) for e in events).encode()
    with session_scope() as s:
        clef_import.import_sources(
            s, cfg.telemetry.dir, [(f"{payload(base, 'clef-file')}.clef", clef)], actor=ADMIN, service="mana"
        )
    k6 = cfg.loadtests.dir / ".seed.ndjson"
    k6.parent.mkdir(parents=True, exist_ok=True)
    k6.write_text(K6_FIXTURE.read_text().replace("GET /api/shops", json.dumps(payload(base, "k6-tag"))[1:-1]))
    with session_scope() as s:
        loadtests.import_run(
            s,
            actor=ADMIN,
            files=[InputFile(path=k6, name=payload(base, "k6-file"))],
            options=parse_import_options({"service": "mana", "label": payload(base, "k6-label")}),
            root=cfg.loadtests.dir,
        )
    k6.unlink()


if __name__ == "__main__":
    main(sys.argv[1])

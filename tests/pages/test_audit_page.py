"""The Audit page: the chain's state first, then each record's changes as `field: old → new`."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.db import session_scope
from tests.pages.test_pages import _app


def test_the_audit_page_shows_the_chain_state_and_readable_changes(app_env: Engine) -> None:
    with session_scope(app_env) as s:
        audit.record(
            s,
            actor=Actor("olli", "operator", os_user="olli-shell"),
            action="incident.acknowledged",
            entity="incident",
            entity_id=7,
            before={"status": "new", "assignee": None, "version": 1},
            after={"status": "acknowledged", "assignee": "olli", "version": 2},
        )
    at = _app("audit")
    # app_env seeds the two team SLOs, each with its 3 burn-rate rules (records 1 to 8): this acknowledgement is 9
    assert at.success[0].value.startswith("Audit chain verified up to record 9 (9 records; head hash ")
    top = at.dataframe[0].value.iloc[0]
    assert (top["record"], top["who"], top["os user"], top["entity"]) == (
        9,
        "olli (operator)",
        "olli-shell",
        "incident 7",
    )
    assert top["changes"] == "status: new → acknowledged; assignee: — → olli; version: 1 → 2"
    created = at.dataframe[0].value.iloc[-1]["changes"]  # record 1
    assert created.startswith(
        "name: mana availability; service: mana; operation: —; kind: availability; "
    )  # a creation shows the new values only

    with app_env.begin() as c:
        c.execute(text("UPDATE audit_record SET entity_id = '8' WHERE id = 9"))
    at.run()
    assert not at.success
    assert at.error[0].value == (
        "Audit chain broken at record 9: record 9 does not match its hash: "
        "it was edited after it was written, or forged."
    )

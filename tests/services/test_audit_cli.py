"""`audit verify` and `audit export` from a terminal; the OS user beside the identity; `demo live` and
`telemetry compact` audited and refused to a viewer; the migration chains records written before the chain existed."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.cli import main
from services.config import get_settings
from services.db import make_engine, session_scope
from services.migrate import upgrade
from services.telemetry.store import table_files
from tests.telemetry_fixtures import req, write

ADMIN = Actor("a", "admin")


def _records(engine: Engine) -> list[audit.AuditRecord]:
    with session_scope(engine) as s:
        return list(reversed(audit.list_records(s, actor=ADMIN)))


def test_the_cli_records_the_os_user_and_verify_names_an_edited_record(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--actor", "lead", "slo", "seed"]) == 0
    recs = _records(sqlite_engine)
    # two SLOs, each with its three burn-rate alert rules: eight records
    assert [(r.actor, r.role, r.os_user) for r in recs] == [("lead", "lead", getpass.getuser())] * 8
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert f"Audit chain verified up to record {recs[-1].id} (8 records" in capsys.readouterr().out
    with sqlite_engine.begin() as c:
        c.execute(text("UPDATE audit_record SET os_user = 'someone-else' WHERE id = 1"))
    assert main(["audit", "verify"]) == 2
    assert "Audit chain broken at record 1: record 1 does not match its hash" in capsys.readouterr().err


def test_export_writes_a_period_with_the_chain_head_for_leads_only(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["slo", "seed"]) == 0
    out = tmp_path / "audit.json"
    assert main(["--actor", "operator", "audit", "export", "--output", str(out)]) == 2
    assert "Exporting the audit log needs the lead role; you are operator." in capsys.readouterr().err
    assert not out.exists()
    assert main(["--actor", "lead", "audit", "export", "--from", "2020-01-01", "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    head = _records(sqlite_engine)[-1]
    assert doc["chain"]["ok"] and (doc["chain"]["head_id"], doc["chain"]["head_hash"]) == (head.id, head.hash)
    each = ["slo.create", "alert_rule.create", "alert_rule.create", "alert_rule.create"]  # an SLO and its rules
    assert [r["action"] for r in doc["records"]] == each * 2
    assert f"8 record(s) written to {out}; Audit chain verified up to record {head.id}" in capsys.readouterr().out
    assert main(["--actor", "lead", "audit", "export", "--format", "csv", "--to", "2020-01-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,at,actor") and len(lines) == 2 and lines[1].endswith(head.hash)
    assert main(["--actor", "lead", "audit", "export", "--from", "2026-12-02", "--to", "2026-12-01"]) == 2
    assert "--to (2026-12-01) must be after --from (2026-12-02)" in capsys.readouterr().err


def test_telemetry_compact_is_refused_to_a_viewer_and_audited(
    sqlite_engine: Engine, isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolated_settings / "telemetry"
    for m in range(3):
        write(root, "AppRequests", [req(m)])
    assert main(["--actor", "viewer", "telemetry", "compact"]) == 2
    assert "Compacting the telemetry store needs the operator role; you are viewer." in capsys.readouterr().err
    assert len(table_files(root, "AppRequests")) == 3 and _records(sqlite_engine) == []
    assert main(["--actor", "operator", "telemetry", "compact"]) == 0
    assert "AppRequests: 3 files merged" in capsys.readouterr().out
    [rec] = _records(sqlite_engine)
    assert (rec.action, rec.actor, rec.entity) == ("telemetry.compact", "operator", "telemetry_store")
    assert rec.after is not None and rec.after["files_merged"]["AppRequests"] == 3


@pytest.mark.heavy  # a child process: not in `make later`, which looks for dates
def test_demo_live_is_refused_to_a_viewer_and_audited_once_per_run(
    sqlite_engine: Engine, isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--actor", "viewer", "demo", "live"]) == 2
    assert "Running live demo traffic needs the admin role; you are viewer." in capsys.readouterr().err
    root = isolated_settings / "telemetry"
    assert not root.exists() and _records(sqlite_engine) == []
    # a rate at which every 0.2-s tick holds requests whatever the hour (the daily curve's night is about 1/8 of it)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "SRE_DEMO_LIVE_RATE_PER_MINUTE": "6000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "live", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(table_files(root, "AppRequests")) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(table_files(root, "AppRequests")) >= 3  # several ticks
    [rec] = _records(sqlite_engine)  # one record for the run
    assert (rec.action, rec.actor, rec.os_user) == ("demo.live", "admin", getpass.getuser())
    assert rec.after == {"folder": str(root), "interval_s": 0.2}


def test_the_migration_chains_records_written_before_the_chain(isolated_settings: Path) -> None:
    url = get_settings().database.url
    upgrade(url, "0007")
    engine = make_engine(url)
    with engine.begin() as c:
        for i, at in enumerate(["2026-11-28 10:00:00.000000", "2026-11-29 11:30:00.250000"]):
            c.execute(
                text(
                    "INSERT INTO audit_record (at, actor, role, action, entity, entity_id, before, after) "
                    "VALUES (:at, 'lead', 'lead', 'slo.update', 'slo', '1', :before, :after)"
                ),
                {"at": at, "before": json.dumps({"objective": 99.0 + i}), "after": json.dumps({"objective": 99.5})},
            )
    upgrade(url)
    with session_scope(engine) as s:
        state = audit.verify_chain(s, actor=ADMIN)
        assert state.ok and state.checked == 2
        audit.record(s, actor=ADMIN, action="slo.delete", entity="slo", entity_id=1)
    with session_scope(engine) as s:
        assert audit.verify_chain(s, actor=ADMIN).checked == 3
    engine.dispose()

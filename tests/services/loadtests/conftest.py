"""Load-test fixtures: the committed real k6 outputs and an import helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.loadtests import service
from services.loadtests.report import RunReport
from services.loadtests.schemas import ImportOptions, InputFile

K6 = Path(__file__).resolve().parents[2] / "fixtures" / "k6"
DEV = Actor("dev", "developer")


def k6_file(name: str) -> InputFile:
    """A committed fixture file."""
    return InputFile(K6 / name, name)


def summary_export() -> dict:
    """The committed --summary-export of the fixture run."""
    return json.loads((K6 / "summary.json").read_text())


def import_files(engine: Engine, *names: str, service_name: str = "mana", label: str = "") -> RunReport:
    """Import fixture files as one run and read it back."""
    with session_scope(engine) as s:
        run = service.import_run(
            s,
            actor=DEV,
            files=[k6_file(n) for n in names],
            options=ImportOptions(service=service_name, label=label),
            root=get_settings().loadtests.dir,
        )
        run_id = run.id
    with session_scope(engine) as s:
        return service.run_report(s, actor=DEV, run_id=run_id)


@pytest.fixture
def loadtest_dir(isolated_settings: Path) -> Path:
    """The test's SRE_LOADTEST_DIR."""
    return get_settings().loadtests.dir


def stored_files(root: Path) -> list[str]:
    """Every file (hidden ones too) under the load-test folder."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

"""`sre-backoffice incident …` end to end on the configured database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from services.cli import main
from services.config import get_settings
from services.migrate import upgrade
from tests.board_fakes import ISSUES, FakeGitHub


@pytest.fixture
def db(isolated_settings: Path) -> Path:
    upgrade(get_settings().database.url)
    return isolated_settings


def test_create_classify_move_show(
    db: Path, capsys: pytest.CaptureFixture[str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    github = FakeGitHub()
    httpserver.expect_request(ISSUES).respond_with_handler(github.handle)
    for key, value in {
        "SRE_BOARD": "github",
        "SRE_GITHUB_REPO": "contoso/mana",
        "SRE_GITHUB_TOKEN": "ghp_x_123456789",
        "SRE_GITHUB_API_URL": httpserver.url_for("/"),
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    assert main(["incident", "create", "--title", "DOPA timeouts", "--service", "mana", "--severity", "Sev2"]) == 0
    iid = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["incident", "classify", str(iid), "--as", "critical"]) == 0
    assert "hotfix" in capsys.readouterr().out
    assert main(["incident", "move", str(iid), "--to", "acknowledged"]) == 0
    capsys.readouterr()
    assert main(["incident", "show", str(iid), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in ("id", "title", "severity", "classification", "status")} == {
        "id": iid,
        "title": "DOPA timeouts",
        "severity": "Sev2",
        "classification": "critical",
        "status": "acknowledged",
    }
    assert shown["board_issue_url"] == "https://github.com/contoso/mana/issues/1" and len(github.issues) == 1
    assert [e["kind"] for e in shown["timeline"]] == [
        "created",
        "classified",
        "board_issue",
        "status",
    ]
    assert main(["incident", "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [iid]
    assert main(["incident", "list", "--status", "closed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incident", "show", "42"], "Incident 42 does not exist"),
        (["incident", "create", "--title", " ", "--service", "mana", "--severity", "Sev2"], "title: must not be empty"),
        (["incident", "create", "--title", "x", "--service", "mana", "--severity", "Sev7"], "severity"),
        (
            ["--actor", "viewer", "incident", "create", "--title", "x", "--service", "m", "--severity", "Sev2"],
            "needs the operator role",
        ),
    ],
)
def test_errors(db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_illegal_move_lists_the_allowed_ones(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["incident", "create", "--title", "x", "--service", "mana", "--severity", "Sev3"])
    iid = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["incident", "move", iid, "--to", "closed"]) == 2
    assert "from new it can go to: acknowledged, mitigating, resolved" in capsys.readouterr().err


def test_postmortem_export(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["incident", "create", "--title", "DOPA timeouts", "--service", "mana", "--severity", "Sev1"])
    iid = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["postmortem", "export", iid]) == 2
    assert "has no postmortem yet" in capsys.readouterr().err
    assert main(["incident", "move", iid, "--to", "resolved"]) == 2  # straight from new: it skips mitigating
    assert f"Resolving incident {iid} without mitigating (from new) needs a reason" in capsys.readouterr().err
    assert main(["incident", "move", iid, "--to", "resolved", "--reason", "DOPA answers again"]) == 0
    capsys.readouterr()
    assert main(["postmortem", "export", iid, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Postmortem: DOPA timeouts") and "admin: Status new → resolved" in md
    assert "admin: Resolved without mitigating (from new). Reason: DOPA answers again" in md

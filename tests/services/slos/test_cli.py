"""`sre-backoffice slo …` end to end: create, edit, list, delete, export and apply, each with its one-line
confirmation; errors as one line with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from services.cli import main
from services.config import get_settings
from services.migrate import upgrade
from tests.services.slos.test_ratio import DOPA, GOOD, _deps
from tests.telemetry_fixtures import AT, write

HERE = Path(__file__).with_name("files")


@pytest.fixture
def cli(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    upgrade(get_settings().database.url)
    capsys.readouterr()
    return capsys


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_create_edit_list_and_delete_a_ratio_slo(cli: pytest.CaptureFixture[str], isolated_settings: Path) -> None:
    (isolated_settings / "good.kql").write_text(GOOD)
    create = ["--name", "DOPA success", "--service", "mana", "--kind", "ratio", "--objective", "99"]
    create += ["--window-days", "7", "--good-query", "@good.kql", "--total-query", DOPA]
    out = _run(cli, "slo", "create", *create)
    assert out == "created SLO 'DOPA success' (ratio, 99 % over 7 days) with its 3 burn-rate alert rules\n"
    listed = json.loads(_run(cli, "slo", "list", "--json"))
    assert listed == [{"name": "DOPA success", "kind": "ratio", "service": "mana", "operation": None,
                       "objective": 99.0, "threshold_ms": None, "window_days": 7, "good_query": GOOD,
                       "bad_query": None, "total_query": DOPA}]  # fmt: skip
    write(isolated_settings / "telemetry", "AppDependencies", _deps())
    status = json.loads(_run(cli, "slo", "status", "--at", AT.isoformat(), "--json"))
    assert {k: v for k, v in status[0].items() if k in listed[0]} == listed[0]  # list --json: status's fields
    assert status[0]["total"] > status[0]["good"] > 0
    assert set(status[0]["burn_rates"]) == {"5m", "30m", "1h", "6h", "3d"}

    bad = DOPA + " | where Success == false"
    out = _run(cli, "slo", "edit", "DOPA success", "--objective", "99.5", "--bad-query", bad)
    assert out == "SLO 'DOPA success': changed objective, good_query, bad_query\n"
    (edited,) = json.loads(_run(cli, "slo", "list", "--json"))
    assert (edited["objective"], edited["good_query"], edited["bad_query"]) == (99.5, None, bad)
    assert _run(cli, "slo", "edit", "DOPA success", "--objective", "99.5") == "SLO 'DOPA success': nothing changed\n"
    assert _run(cli, "slo", "list").splitlines() == [
        "DOPA success: ratio, 99.5 % over 7 d; SLI = (rows of the total query − rows of the bad query) / rows of the "
        "total query (sum of ItemCount)",
        "1 SLO(s)",
    ]
    assert "add --yes to confirm" in _fails(cli, "slo", "delete", "DOPA success")  # no terminal to ask on
    assert _run(cli, "slo", "delete", "DOPA success", "--yes") == (
        "deleted SLO 'DOPA success' with its burn-rate alert rules\n"
    )
    gone = _fails(cli, "slo", "delete", "DOPA success", "--yes")
    assert "No SLO named 'DOPA success'; `sre-backoffice slo list` shows them" in gone


def test_export_and_apply_keep_slos_in_git(cli: pytest.CaptureFixture[str], isolated_settings: Path) -> None:
    team = str(HERE / "team.openslo.yaml")
    out = _run(cli, "slo", "apply", team, "--dry-run")
    assert out.splitlines()[-1] == "dry run: 4 to create, 0 to change, 0 unchanged, 0 to delete; nothing was changed"
    assert json.loads(_run(cli, "slo", "list", "--json")) == []
    out = _run(cli, "slo", "apply", team)
    assert out.splitlines() == [
        "+ create 'mana availability': availability, 99 % over 30 days",
        "+ create 'shops latency': latency, 99.9 % over 28 days",
        "+ create 'DOPA success': ratio, 99.5 % over 7 days",
        "+ create 'login-failures': ratio, 95 % over 30 days",
        "applied: 4 created, 0 changed, 0 unchanged, 0 deleted",
    ]
    assert _run(cli, "slo", "apply", team) == "nothing to change: the 4 SLO(s) of the files already match\n"

    exported = _run(cli, "slo", "export")
    assert cli.readouterr().err == ""  # the confirmation went with the run above
    by_name = lambda docs: sorted(docs, key=lambda d: d["metadata"]["name"])  # noqa: E731 - stored SLOs come by name
    team_docs = yaml.safe_load_all((HERE / "team.openslo.yaml").read_text())
    assert by_name(yaml.safe_load_all(exported)) == by_name(team_docs)
    (isolated_settings / "slos.yaml").write_text(exported.replace("target: 0.99\n", "target: 0.999\n"))
    out = _run(cli, "slo", "apply", "slos.yaml", "--dry-run")
    assert "~ change 'mana availability': objective 99 → 99.9" in out.splitlines()
    assert _run(cli, "slo", "apply", "slos.yaml").splitlines()[-1] == (
        "applied: 0 created, 1 changed, 3 unchanged, 0 deleted"
    )
    sloth = _run(cli, "slo", "export", "--format", "sloth", "mana availability", "shops latency")
    assert [d["version"] for d in yaml.safe_load_all(sloth)] == ["prometheus/v1", "prometheus/v1"]
    (isolated_settings / "sloth.yaml").write_text(sloth)
    out = _run(cli, "slo", "apply", "sloth.yaml", "--prune", "--dry-run")
    assert out.splitlines()[-3:] == [
        "- delete 'DOPA success'",
        "- delete 'login-failures'",
        "dry run: 0 to create, 0 to change, 2 unchanged, 2 to delete; nothing was changed",
    ]


def test_export_confirms_on_stderr(cli: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "seed"]) == 0
    cli.readouterr()
    assert main(["slo", "export", "--format", "sloth"]) == 0
    out, err = cli.readouterr()
    assert err == "exported 2 SLO(s) as Sloth prometheus/v1\n"
    assert [s["name"] for s in yaml.safe_load(out)["slos"]] == ["mana availability", "mana latency"]


def test_a_file_with_an_unsupported_field_is_refused_and_nothing_applied(
    cli: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    text = (HERE / "team.openslo.yaml").read_text().replace("counter: false", "counter: false\n        foo: 1", 1)
    (isolated_settings / "bad.yaml").write_text(text)
    err = _fails(cli, "slo", "apply", "bad.yaml")
    assert err == (
        "error: bad.yaml document 1 (mana availability): spec.indicator.spec.ratioMetric.foo is not supported: "
        "remove it. Nothing was applied."
    )
    assert json.loads(_run(cli, "slo", "list", "--json")) == []
    assert "is defined twice (team.openslo.yaml document 1 (mana availability) and" in _fails(
        cli, "slo", "apply", str(HERE / "team.openslo.yaml"), str(HERE / "team.openslo.yaml")
    ).replace(str(HERE) + "/", "")
    assert "cannot read nope.yaml" in _fails(cli, "slo", "apply", "nope.yaml")
    assert "needs the lead role" in _fails(cli, "--actor", "viewer", "slo", "apply", str(HERE / "team.sloth.yaml"))

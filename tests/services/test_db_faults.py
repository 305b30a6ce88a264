"""Database faults say what happened: the masked URL and the reason, never a raw exception name or a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from services.cli import main
from services.config import get_settings
from services.db import make_engine, session_scope, shown_url
from services.errors import DatabaseError
from tests.e2e.streamlit_server import free_port


def test_urls_are_shown_without_user_or_password() -> None:
    assert shown_url("postgresql+psycopg://sre:s3cr3t@db.internal:5432/backoffice") == (
        "postgresql+psycopg://...@db.internal:5432/backoffice"
    )
    assert shown_url("postgresql+psycopg://db.internal/backoffice") == "postgresql+psycopg://db.internal/backoffice"
    assert shown_url("sqlite:///.data/backoffice.db") == "sqlite:///.data/backoffice.db"
    assert shown_url("not a url") == "(not a database URL)"


def test_an_unreachable_postgresql_is_named_with_the_reason() -> None:
    url = f"postgresql+psycopg://sre:s3cr3t@127.0.0.1:{free_port()}/backoffice"
    with pytest.raises(DatabaseError) as caught, session_scope(make_engine(url)) as s:
        s.execute(text("select 1"))
    message = str(caught.value)
    assert message.startswith(
        f"The database is not reachable (SRE_DATABASE_URL=postgresql+psycopg://...@{url.split('@')[1]}): "
    )
    assert "refused" in message.lower() and "s3cr3t" not in message and "sre:" not in message


def test_a_database_without_tables_says_to_upgrade(isolated_settings: Path) -> None:
    missing = r"no backoffice tables yet .*run `sre-backoffice db upgrade`"
    with pytest.raises(DatabaseError, match=missing), session_scope() as s:
        s.execute(text("select * from incident"))


def test_the_cli_says_the_database_is_unreachable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SRE_DATABASE_URL", f"postgresql+psycopg://sre:s3cr3t@127.0.0.1:{free_port()}/backoffice")
    get_settings.cache_clear()
    assert main(["incident", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The database is not reachable (SRE_DATABASE_URL=postgresql+psycopg://...@127.0.0.1:")
    assert err.count("\n") == 1 and "s3cr3t" not in err and "OperationalError" not in err


def test_the_cli_reports_success_only_after_the_commit(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A commit that fails (the server went away between the change and COMMIT) is reported, not the change."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from services.migrate import upgrade

    upgrade(get_settings().database.url)
    assert main(["incident", "create", "--title", "DOPA slow", "--service", "mana", "--severity", "Sev2"]) == 0
    capsys.readouterr()

    def lost(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(Session, "commit", lost)
    assert main(["incident", "move", "1", "--to", "acknowledged"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: The database is not reachable (SRE_DATABASE_URL=sqlite:///")
    assert err.rstrip().endswith(": server closed the connection unexpectedly")
    monkeypatch.undo()
    assert main(["incident", "show", "1", "--json"]) == 0
    assert '"status": "new"' in capsys.readouterr().out

"""Entra ID sign-in (SRE_AUTH_MODE=entra): a sign-in page first, then the token's app roles decide permissions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor, actor_from_claims
from services.config import get_settings
from services.errors import PermissionDenied
from tests.markdown_text import shown
from tests.pages.conftest import MAIN

ROLES = {"SRE.Admin": "admin", "SRE.Lead": "lead", "SRE.Operator": "operator", "SRE.Viewer": "viewer"}


def test_the_highest_mapped_app_role_wins() -> None:
    claims = {
        "preferred_username": "somchai@contoso.com",
        "name": "Somchai",
        "roles": ["SRE.Viewer", "SRE.Lead", "Other.Role"],
    }
    assert actor_from_claims(claims, role_map=ROLES, default_role="viewer") == Actor("somchai@contoso.com", "lead")
    assert actor_from_claims({"email": "a@b.c"}, role_map=ROLES, default_role="viewer") == Actor("a@b.c", "viewer")
    with pytest.raises(PermissionDenied, match="has none of the backoffice's app roles"):
        actor_from_claims({"email": "a@b.c", "roles": ["Other"]}, role_map=ROLES, default_role="")


@pytest.fixture
def entra(app_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRE_AUTH_MODE", "entra")
    get_settings.cache_clear()


def test_not_signed_in_sees_only_the_sign_in_page(entra: None) -> None:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.user = {"is_logged_in": False}  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    assert at.button(key="auth.login").label == "Sign in with Microsoft"
    assert not at.metric  # no page ran


def test_an_operator_token_can_triage_but_not_edit_slos(entra: None) -> None:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.user = {
        "is_logged_in": True,
        "preferred_username": "ola@contoso.com",
        "name": "Ola",  # type: ignore[attr-defined]
        "roles": ["SRE.Operator"],
    }
    at.run()
    assert not at.exception, at.exception
    assert any(shown(m.value) == "Signed in as ola@contoso.com (operator)" for m in at.sidebar.markdown)
    at.switch_page("../pages/slos.py").run()
    assert any("ola@contoso.com (operator) can read SLOs" in shown(i.value) for i in at.info)


def test_the_refused_role_is_refused_by_the_service_too(isolated_settings: Path) -> None:
    """The navigation hides the page; the service refuses the call whatever the page shows."""
    from services.alerts import log as alert_log
    from services.auth import Actor
    from services.config import get_settings
    from services.db import session_scope
    from services.errors import PermissionDenied
    from services.migrate import upgrade

    upgrade(get_settings().database.url)
    with session_scope() as s, pytest.raises(PermissionDenied, match="needs the operator role"):
        alert_log.notifications(s, actor=Actor("nok@contoso.com", "viewer"))

"""GET /api/releases/{version}/gate on the real API server: the bearer token, the answer a pipeline evaluates."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.features import service
from services.features.schemas import parse_feature_input
from tests.services.api.conftest import running

API_TOKEN = "pipeline-token-7f3a"
LEAD = Actor("lee", "lead")


@pytest.fixture
def gate_api(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SRE_API_TOKEN", API_TOKEN)
    get_settings.cache_clear()
    with session_scope(sqlite_engine) as s:
        f = service.create_feature(s, actor=LEAD, data=parse_feature_input(
            {"title": "Contributed fix", "service": "mana", "operations": ["GET /api/shops"], "release": "2026.12.1",
             "entry": "bug"}))  # fmt: skip
        for key in ("testing.load_test", "testing.security", "testing.alert_backtest"):
            service.waive(s, actor=LEAD, feature_id=f.id, item_key=key, reason="tested by hand")
    with running() as url:
        yield url


def test_with_the_token_the_gate_answers_go_in_the_shape_the_pipeline_check_reads(gate_api: str) -> None:
    answer = httpx.get(f"{gate_api}/api/releases/2026.12.1/gate", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["release"], body["go"], body["reasons"]) == ("2026.12.1", True, [])
    assert body["features"] == [{"id": 1, "title": "Contributed fix", "phase": "testing", "open_items": []}]


def test_without_or_with_a_wrong_token_it_is_refused_and_says_how(gate_api: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {API_TOKEN}"}):
        answer = httpx.get(f"{gate_api}/api/releases/2026.12.1/gate", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "Wrong or missing token: send Authorization: Bearer <SRE_API_TOKEN>."}
        assert answer.headers["www-authenticate"] == "Bearer"


def test_an_unknown_or_malformed_release_is_404_or_422(gate_api: str) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    unknown = httpx.get(f"{gate_api}/api/releases/2027.1.1/gate", headers=auth)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "No feature targets release '2027.1.1'; releases with features: 2026.12.1."},
    )
    bad = httpx.get(f"{gate_api}/api/releases/..%2F..%2Fetc/gate", headers=auth)
    assert bad.status_code in (404, 422)


def test_with_no_token_configured_every_call_is_refused(sqlite_engine: Engine) -> None:
    get_settings.cache_clear()
    with running() as url:
        answer = httpx.get(f"{url}/api/releases/2026.12.1/gate", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 401
    assert answer.json()["error"].startswith("SRE_API_TOKEN is not set on the API process")

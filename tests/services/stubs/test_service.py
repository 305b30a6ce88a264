"""Stub sets stored with versions: built from telemetry, edited, uploaded, covered, exported; who may do what."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.stubs import service
from services.telemetry.local import LocalTelemetrySource
from tests.services.stubs.test_build import DOPA, ROWS
from tests.telemetry_fixtures import AT, write

DEV = Actor("dana", "developer")
LEAD = Actor("lee", "lead")
VIEWER = Actor("vic", "viewer")
WINDOW = {"start": AT - timedelta(hours=1), "end": AT}


@pytest.fixture
def source(isolated_settings: Path) -> LocalTelemetrySource:
    write(get_settings().telemetry.dir, "AppDependencies", ROWS)
    return LocalTelemetrySource(get_settings().telemetry.dir)


def _build(engine: Engine, source: LocalTelemetrySource, actor: Actor = DEV) -> int:
    with session_scope(engine) as s:
        v = service.build_from_telemetry(s, source, actor=actor, name="DOPA", target=DOPA, **WINDOW)
        return v.set_id


def test_a_set_built_from_telemetry_covers_every_observed_behaviour(
    engine: Engine, source: LocalTelemetrySource
) -> None:
    set_id = _build(engine, source)
    with session_scope(engine) as s:
        v = service.get_version(s, actor=VIEWER, set_id=set_id)
        cov = service.coverage(v)
        assert (v.version, v.origin, len(v.mappings), len(v.observations)) == (1, "telemetry", 12, 5)
        assert cov.share == 1.0 and cov.unseen == []
        timeout = next(r for r in cov.rows if r.observation.behaviour.label == "timeout")
        assert timeout.stubs == (
            "POST /verify timed out (ResultCode Timeout) (X-Stub-Behaviour: timeout)",
            "POST /verify timed out (ResultCode Timeout) (scenario state timeout)",
        )


def test_an_edit_is_a_new_version_and_the_old_one_is_kept_whole(engine: Engine, source: LocalTelemetrySource) -> None:
    set_id = _build(engine, source)
    with session_scope(engine) as s:
        first = service.get_version(s, actor=DEV, set_id=set_id)
        mappings = json.loads(service.mappings_text(first))["mappings"]
        kept = [m for m in mappings if m["metadata"]["sreBackoffice"]["behaviour"] != "timeout"]  # drop timeout stubs
        kept[0]["response"]["jsonBody"] = {"valid": True}
        service.edit(s, actor=DEV, set_id=set_id, base_version=1, mappings_json=json.dumps(kept), note="body")
    with session_scope(engine) as s:
        versions = service.versions(s, actor=VIEWER, set_id=set_id)
        assert [(v.version, v.origin, len(v.mappings)) for v in versions] == [(2, "edit", 10), (1, "telemetry", 12)]
        cov = service.coverage(versions[0])
        assert [r.observation.behaviour.label for r in cov.rows if not r.covered] == ["timeout"]
        assert cov.share == pytest.approx(4 / 5)


def test_two_edits_of_one_version_cannot_both_be_saved(engine: Engine, source: LocalTelemetrySource) -> None:
    set_id = _build(engine, source)
    with session_scope(engine) as s:
        text = service.mappings_text(service.get_version(s, actor=DEV, set_id=set_id))
    one, two = json.loads(text)["mappings"][:3], json.loads(text)["mappings"][:4]
    with session_scope(engine) as s:
        service.edit(s, actor=DEV, set_id=set_id, base_version=1, mappings_json=json.dumps(one))
    with pytest.raises(Conflict, match="has a version 2 saved meanwhile; reload it"), session_scope(engine) as s:
        service.edit(s, actor=LEAD, set_id=set_id, base_version=1, mappings_json=json.dumps(two))
    with session_scope(engine) as s:
        assert [len(v.mappings) for v in service.versions(s, actor=DEV, set_id=set_id)] == [3, 12]


def test_an_unchanged_edit_or_a_bad_one_stores_nothing(engine: Engine, source: LocalTelemetrySource) -> None:
    set_id = _build(engine, source)
    with session_scope(engine) as s:
        text = service.mappings_text(service.get_version(s, actor=DEV, set_id=set_id))
    with pytest.raises(InvalidInput, match="nothing changed"), session_scope(engine) as s:
        service.edit(s, actor=DEV, set_id=set_id, base_version=1, mappings_json=text)
    with pytest.raises(InvalidInput, match="is not JSON"), session_scope(engine) as s:
        service.edit(s, actor=DEV, set_id=set_id, base_version=1, mappings_json=text[:-5])
    with session_scope(engine) as s:
        assert service.get_set(s, actor=DEV, set_id=set_id).latest_version == 1


def test_an_upload_keeps_what_production_showed_and_says_what_it_no_longer_covers(
    engine: Engine, source: LocalTelemetrySource
) -> None:
    set_id = _build(engine, source)
    only_ok = {"request": {"method": "POST", "urlPathPattern": "/ver.*"}, "response": {"status": 200}}
    with session_scope(engine) as s:
        v = service.upload(
            s, actor=DEV, name="DOPA", target="", file_name="mine.json", data=json.dumps(only_ok).encode()
        )
        cov = service.coverage(v)
        assert (v.version, v.origin, v.note) == (2, "upload", "uploaded mine.json")
        assert [(r.observation.path, r.observation.behaviour.label) for r in cov.rows if r.covered] == [
            ("/verify", "status-200")
        ]
        assert set_id == v.set_id


def test_no_call_in_the_window_stores_nothing(engine: Engine, source: LocalTelemetrySource) -> None:
    with pytest.raises(InvalidInput, match="No call to api.dopa.go.th between"), session_scope(engine) as s:
        service.build_from_telemetry(
            s, source, actor=DEV, name="DOPA", target=DOPA, start=AT - timedelta(days=9), end=AT - timedelta(days=8)
        )
    with session_scope(engine) as s:
        assert service.list_sets(s, actor=VIEWER) == []


def test_a_name_holds_one_target(engine: Engine, source: LocalTelemetrySource) -> None:
    _build(engine, source)
    with pytest.raises(InvalidInput, match="stands in for api.dopa.go.th"), session_scope(engine) as s:
        service.build_from_telemetry(s, source, actor=DEV, name="DOPA", target="shop.example", **WINDOW)


def test_viewers_read_developers_build_leads_delete_and_every_change_is_audited(
    engine: Engine, source: LocalTelemetrySource
) -> None:
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        service.build_from_telemetry(s, source, actor=VIEWER, name="DOPA", target=DOPA, **WINDOW)
    set_id = _build(engine, source)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        service.delete_set(s, actor=DEV, set_id=set_id)
    with session_scope(engine) as s:
        service.delete_set(s, actor=LEAD, set_id=set_id)
    with session_scope(engine) as s:
        assert service.list_sets(s, actor=VIEWER) == []
        records = [(r.action, r.actor) for r in audit.list_records(s, actor=LEAD, entity="stub_set")]
    assert records == [("stubset.delete", "lee"), ("stubset.telemetry", "dana")]

"""The SDLC workflow pages through AppTest: the board's columns and counts, a feature's checklist with numbers from
telemetry, a refused advance, what a viewer may not do, and a lead's new gate template version."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.db import session_scope
from services.features import service as features
from services.features.schemas import parse_feature_input
from tests.markdown_text import shown
from tests.pages.conftest import MAIN

LEAD = Actor("lead", "lead")


def _feature(title: str, entry: str, operations: tuple[str, ...] = ("GET /api/shops",)) -> int:
    data = parse_feature_input({"title": title, "service": "mana", "entry": entry, "operations": list(operations)})
    with session_scope() as s:
        return features.create_feature(s, actor=LEAD, data=data).id


def _page(page: str, user: str = "lead", feature: int | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    if feature is not None:
        at.query_params["feature"] = str(feature)
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _texts(block: Any) -> list[str]:
    return [shown(m.value) for m in block.markdown]


def test_the_board_shows_each_feature_in_its_phase_column_with_its_gate_counts(app_env: Engine) -> None:
    planned = _feature("Shop search", "feature")
    cached = _feature("Shop list cache", "pull-request")
    bug = _feature("Checkout rounding", "bug")
    with session_scope() as s:
        features.waive(s, actor=LEAD, feature_id=cached, item_key="implementation.pilot", reason="no pilot needed")
    at = _page("home")
    board = at.columns[:6]  # the first row of columns: one per phase, in workflow order
    assert [_texts(c)[0] for c in board] == [
        "Planning (1)",
        "Analysis (0)",
        "Design (0)",
        "Implementation (1)",
        "Testing & Integration (1)",
        "Maintenance (0)",
    ]
    # Planning asks one sign-off (open). Implementation: the two data items pass on the fixture's 200 requests of
    # GET /api/shops and no exception; unit and integration tests wait for their test runs; the pilot is waived.
    # Testing: no k6 run, no security sign-off, no alert rule to backtest: 3 open.
    assert _texts(board[0])[1:] == [
        f"#{planned} Shop search",
        ":red[:material/block:] 0 passed · 1 open · 0 waived · blocked",
    ]
    assert _texts(board[3])[1:] == [
        f"#{cached} Shop list cache",
        ":red[:material/block:] 2 passed · 2 open · 1 waived · blocked",
    ]
    assert _texts(board[4])[1:] == [
        f"#{bug} Checkout rounding",
        ":red[:material/block:] 0 passed · 3 open · 0 waived · blocked",
    ]
    assert "waiting for: Unit tests passed; Integration tests passed" in [shown(c.value) for c in board[3].caption]
    assert "New feature" in [e.label for e in at.expander]
    with session_scope() as s:  # as `sre-backoffice feature sign-off` would: no page clears the cache
        features.sign_off(s, actor=LEAD, feature_id=planned, item_key="planning.scope", evidence="agreed with nok")
    at.run()
    assert _texts(at.columns[0])[2] == ":green[:material/check_circle:] 1 passed · 0 open · 0 waived · ready"


def test_a_developer_creates_a_feature_from_the_board_and_a_viewer_gets_no_form(app_env: Engine) -> None:
    assert "New feature" not in [e.label for e in _page("home", user="viewer").expander]
    at = _page("home", user="developer")
    at.text_input(key="home.new.title").input("Shop opening hours")
    at.selectbox(key="home.new.entry").set_value("pull-request")
    at.text_area(key="home.new.operations").input("GET /api/shops\n\nGET /api/shops/hours\n")
    at.button(key="FormSubmitter:home.new_feature-Create feature").click().run()
    assert [shown(x.value) for x in at.success] == ["Feature #1 created in Implementation."]
    assert [(p.label, p.proto.query_string) for p in at.get("page_link") if p.label.startswith("Open feature")] == [
        ("Open feature #1", "feature=1")
    ]
    assert _texts(at.columns[3])[:2] == ["Implementation (1)", "#1 Shop opening hours"]
    with session_scope() as s:
        f = features.get_feature(s, actor=LEAD, feature_id=1)
        assert (f.service, f.operations, f.created_by) == (
            "mana",
            ["GET /api/shops", "GET /api/shops/hours"],
            "developer",
        )


def test_a_feature_shows_its_telemetry_numbers_and_a_refused_advance_names_the_open_items(app_env: Engine) -> None:
    fid = _feature("Shop list cache", "pull-request")
    at = _page("feature", feature=fid)
    captions = [shown(c.value) for c in at.caption]
    # the fixture's 200 requests of GET /api/shops over the last 200 minutes
    assert any(c.startswith("GET /api/shops: 200 requests, last at ") for c in captions), captions
    assert any(t.startswith("Gate of Implementation: 2 passed · 3 open · 0 waived") for t in _texts(at))
    phases = [e.label for e in at.expander]
    assert phases[:4] == [
        "1. Planning: skipped (entered as a pull request at Implementation)",
        "2. Analysis: skipped (entered as a pull request at Implementation)",
        "3. Design: skipped (entered as a pull request at Implementation)",
        "4. Implementation: 2 passed · 3 open · 0 waived · current phase",
    ]
    at.button(key=f"feature.advance.{fid}").click().run()
    refusal = shown(at.error[0].value)
    assert refusal.startswith(f"Feature #{fid} cannot leave Implementation: 2 required item(s) open.")
    assert (
        "- implementation.unit_tests (Unit tests passed): The feature has no commit or release, so no unit-test run "
        "can be matched to it."
    ) in refusal
    assert "- implementation.integration_tests (Integration tests passed)" in refusal
    with session_scope() as s:
        assert features.get_feature(s, actor=LEAD, feature_id=fid).phase == "implementation"


def test_a_developer_signs_off_an_item_with_its_evidence(app_env: Engine) -> None:
    fid = _feature("Shop list cache", "pull-request")
    at = _page("feature", user="developer", feature=fid)
    at.selectbox(key=f"feature.sign.item.{fid}").set_value("implementation.pilot")
    at.text_area(key=f"feature.sign.text.{fid}").input("pipeline run 4711: 212 tests passed")
    at.button(key=f"feature.sign.{fid}").click().run()
    assert [shown(x.value) for x in at.success] == ["Done: sign off implementation.pilot."]
    assert any(
        t.startswith("Signed off by developer (developer) at ")
        and t.endswith(" UTC: pipeline run 4711: 212 tests passed")
        for t in (shown(c.value) for c in at.caption)
    )
    assert any(t.startswith("Gate of Implementation: 3 passed · 2 open · 0 waived") for t in _texts(at))


def test_a_viewer_reads_the_checklist_and_the_template_but_changes_nothing(app_env: Engine) -> None:
    fid = _feature("Shop list cache", "pull-request")
    at = _page("feature", user="viewer", feature=fid)
    assert f"#{fid} Shop list cache" in [shown(h.value) for h in at.subheader]
    labels = [b.label for b in at.button]
    assert not [x for x in labels if x.startswith(("Advance", "Move back", "Sign off", "Waive"))], labels
    at = _page("gate_template", user="viewer")
    assert "Read-only: leads edit the gate template." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label.startswith("Save")]


def test_a_leads_template_save_is_a_new_version_and_older_features_keep_theirs(
    app_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fid = _feature("Shop list cache", "pull-request")
    real = st.data_editor

    def edited(data: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:  # AppTest cannot type into a data editor
        out = real(data, **kwargs).copy()
        out.loc[out["key"] == "design.ui", "required"] = True
        return out

    monkeypatch.setattr(st, "data_editor", edited)
    at = _page("gate_template")
    at.text_input(key="gate_template.note.2").input("UI demo is required from now on")
    at.button(key="gate_template.save.2").click().run()
    assert [x.value for x in at.success] == ["Version 3 saved; features on older versions keep theirs."]
    versions = at.dataframe[1].value  # [0] is the editor
    assert list(zip(versions["version"], versions["features"], strict=True)) == [(3, 0), (2, 1), (1, 0)]
    with session_scope() as s:
        assert features.get_feature(s, actor=LEAD, feature_id=fid).template_version == 2
        v3 = features.current_template(s, actor=LEAD)
        assert v3.version == 3 and next(i for i in v3.items if i["key"] == "design.ui")["required"] is True
    assert _template_of(_feature("Shop search", "feature")) == 3


def _template_of(feature_id: int) -> int:
    with session_scope() as s:
        return features.get_feature(s, actor=LEAD, feature_id=feature_id).template_version

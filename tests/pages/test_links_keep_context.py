"""Links keep their context: a Home tile opens its page at the tile's own window and role, so the first number seen
there is the one clicked; a page opened without a link, or with a broken one, keeps its own default."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from app.ui.linked import range_params
from app.ui.monitoring import BIN, PICK, picked_bin
from tests.pages.conftest import MAIN

TIMEOUT = 60


def _open(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update(params or {})
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _links(at: AppTest) -> dict[str, dict[str, str]]:
    out = {}
    for el in at.get("page_link"):
        out[el.proto.label] = {k: v[0] for k, v in parse_qs(el.proto.query_string).items()}
    return out


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_monitoring_tile_opens_failures_on_its_own_hour_and_role(app_env: Engine) -> None:
    home = _open("home")
    assert _metric(home, "requests of mana, last hour") == "60"
    link = _links(home)["Failures"]
    assert link["role"] == "mana" and set(link) == {"start", "end", "role"}

    linked = _open("failures", link)
    assert _metric(linked, "requests") == "60"  # the tile's number, not the page's default 24 hours
    assert linked.selectbox(key="failures.range").value == "As linked"
    assert linked.selectbox(key="failures.role").value == "mana"

    plain = _open("failures")
    assert _metric(plain, "requests") == "200"  # without a link: the last 24 hours, every role


def test_the_product_and_capacity_tiles_carry_their_windows(app_env: Engine) -> None:
    links = _links(_open("home"))
    for label, hours in (("Business metrics", 24), ("Capacity plan", 24 * 7), ("Performance by release", 24 * 30)):
        start, end = (datetime.fromisoformat(links[label][k].replace("Z", "+00:00")) for k in ("start", "end"))
        assert (end - start).total_seconds() == hours * 3600, label
    assert links["Exceptions by type (KQL)"]["query"] == "exceptions_by_type"


def test_a_broken_link_range_is_named_and_the_page_keeps_its_default(app_env: Engine) -> None:
    at = _open("failures", {"start": "2026-12-02T10:00:00Z", "end": "yesterday"})
    assert any("Ignoring the link's time range" in w.value and "ISO 8601" in w.value for w in at.warning)
    assert _metric(at, "requests") == "200"
    at = _open("failures", {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T09:00:00Z"})
    assert any("ends before it starts" in w.value for w in at.warning)


def test_a_clicked_failures_bar_gives_its_bin_and_nothing_else_does() -> None:
    grain = timedelta(minutes=5)
    event = {"selection": {PICK: [{BIN: "2026-12-02T03:40:00Z"}]}}
    assert picked_bin(event, grain) == (
        datetime(2026, 12, 2, 3, 40, tzinfo=UTC),
        datetime(2026, 12, 2, 3, 45, tzinfo=UTC),
    )
    for nothing in (None, {}, {"selection": {}}, {"selection": {PICK: []}}, {"selection": {PICK: [{BIN: "noon"}]}}):
        assert picked_bin(nothing, grain) is None


def test_the_failures_chart_lets_a_bar_be_picked_by_its_utc_bin(mon_env: datetime) -> None:
    at = _open("failures")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    params = spec.get("params", []) + [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert any(p["name"] == PICK and p["select"]["fields"] == [BIN] for p in params)


def test_the_transactions_search_opens_on_the_links_role_and_operation(mon_env: datetime) -> None:
    start, end = mon_env - timedelta(hours=2), mon_env + timedelta(minutes=1)
    link = range_params(start, end, role="mana-worker", operation="Process settlements")
    at = _open("transactions", link)
    assert at.text_input(key="transactions.role").value == "mana-worker"
    assert at.text_input(key="transactions.operation").value == "Process settlements"
    found = at.dataframe[0].value
    assert list(found["OperationId"]) == ["op-f"]  # the only request of that role and operation in the range

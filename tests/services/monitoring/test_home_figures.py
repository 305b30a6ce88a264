"""Every Home tile figure recomputed from the raw rows, and the pages the tiles link to showing the same numbers.

The rows are random but seeded: sampled requests (ItemCount 1-5) of two roles over eight days, exceptions of both
roles, and failed logins of 30 accounts (more than any top-N list) on both roles, so a figure that forgets the
role, the ItemCount or the accounts beyond the top ones comes out different here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.auth import Actor
from services.loadtests.capacity import production_peak_rps
from services.monitoring import business, failures, figures
from services.overview import Tile, tiles
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import write

AT = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)  # not on a minute: bins and windows must still agree
VIEWER = Actor("viewer", "viewer")


def _raw(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n = 6000
    ago = rng.uniform(0, 8 * 86400, n)
    ago[:300] = rng.uniform(0, 3600, 300)  # a busy last hour
    ago[300:700] = 5 * 86400 + rng.uniform(0, 60, 400)  # one burst minute five days ago: the 7-day peak
    requests = pd.DataFrame(
        {
            "TimeGenerated": [AT - timedelta(seconds=float(s)) for s in ago],
            "AppRoleName": rng.choice(["mana", "mana-worker"], n, p=[0.8, 0.2]),
            "Name": rng.choice(["GET /api/shops", "POST /api/orders"], n),
            "Success": rng.random(n) > 0.04,
            "DurationMs": rng.lognormal(5.0, 0.6, n),
            "ItemCount": rng.choice([1, 2, 5], n),
            "AppVersion": np.where(ago > 3 * 86400, "2026.11.1", np.where(ago > 86400, "2026.11.2", "2026.11.3")),
            "OperationId": [f"op-{i}" for i in range(n)],
        }
    )
    m = 400
    exc_ago = rng.uniform(0, 2 * 86400, m)
    exceptions = pd.DataFrame(
        {
            "TimeGenerated": [AT - timedelta(seconds=float(s)) for s in exc_ago],
            "AppRoleName": rng.choice(["mana", "mana-worker"], m),
            "ExceptionType": rng.choice(["TimeoutException", "SqlException", "HttpRequestException"], m),
            "ItemCount": rng.choice([1, 3], m),
        }
    )
    k = 900
    ev_ago = rng.uniform(0, 2 * 86400, k)
    accounts = rng.choice([f"user{i:02d}" for i in range(30)], k)
    events = pd.DataFrame(
        {
            "TimeGenerated": [AT - timedelta(seconds=float(s)) for s in ev_ago],
            "AppRoleName": rng.choice(["mana", "mana-worker"], k, p=[0.7, 0.3]),
            "Name": rng.choice(["LoginFailed", "DopaVerification"], k, p=[0.8, 0.2]),
            "Properties": [f'{{"account": "{a}"}}' for a in accounts],
            "ItemCount": rng.choice([1, 2], k),
        }
    )
    return {"AppRequests": requests, "AppExceptions": exceptions, "AppEvents": events}


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, pd.DataFrame], LocalTelemetrySource]:
    root: Path = tmp_path_factory.mktemp("home-figures")
    frames = _raw(np.random.default_rng(20261202))
    for table, frame in frames.items():
        write(root, table, frame.to_dict("records"))
    return frames, LocalTelemetrySource(root)


def _in(frame: pd.DataFrame, start: datetime, role: str = "mana") -> pd.DataFrame:
    f = frame[(frame["TimeGenerated"] > start) & (frame["TimeGenerated"] <= AT)]
    return f[f["AppRoleName"] == role]


def _tiles(source: LocalTelemetrySource) -> dict[str, Tile]:
    got = tiles(runner.bound(source), [], actor=VIEWER, service="mana", at=AT, open_incidents={"sev2": 1})
    return {t.practice: t for t in got}


def test_every_home_figure_equals_its_recomputation_from_the_raw_rows(raw) -> None:  # type: ignore[no-untyped-def]
    frames, source = raw
    t = _tiles(source)

    hour = _in(frames["AppRequests"], AT - timedelta(hours=1))
    requests, failed = int(hour["ItemCount"].sum()), int(hour.loc[~hour["Success"], "ItemCount"].sum())
    p95 = float(np.percentile(hour["DurationMs"], 95, method="inverted_cdf"))  # nearest rank, over rows
    assert t["Monitoring"].label == "requests of mana, last hour"
    assert t["Monitoring"].value == f"{requests:,}"
    assert t["Monitoring"].detail == f"{failed / requests:.2%} failed · p95 {p95:,.0f} ms"

    day_exc = _in(frames["AppExceptions"], AT - timedelta(days=1))
    by_type = day_exc.groupby("ExceptionType")["ItemCount"].sum().sort_values(ascending=False)
    assert t["Postmortem & RCA"].label == "exceptions of mana, last 24 h"
    assert t["Postmortem & RCA"].value == f"{int(day_exc['ItemCount'].sum()):,}"
    assert t["Postmortem & RCA"].detail == f"top: {by_type.index[0]} ({int(by_type.iloc[0]):,})"

    month = _in(frames["AppRequests"], AT - timedelta(days=30))
    first_seen = month.groupby("AppVersion")["TimeGenerated"].min().sort_values()
    assert t["Development"].value == str(len(first_seen))
    assert t["Development"].detail == " → ".join(first_seen.index[-3:])

    week = _in(frames["AppRequests"], AT - timedelta(days=7))
    per_minute = week.groupby(week["TimeGenerated"].dt.floor("1min"))["ItemCount"].sum()
    peak = per_minute.max() / 60
    assert t["Capacity Planning"].label == "peak RPS of mana, last 7 days"
    assert t["Capacity Planning"].value == f"{peak:,.1f}"
    assert t["Capacity Planning"].detail.startswith(
        f"{figures.PEAK_RPS} · last hour averages {requests / 3600:,.2f} RPS ({requests / 3600 / peak:.0%} of peak)"
    )

    logins = _in(frames["AppEvents"], AT - timedelta(days=1))
    logins = logins[logins["Name"] == "LoginFailed"]
    per_account = logins.groupby(logins["Properties"].str.extract(r'"account": "(\w+)"')[0])["ItemCount"].sum()
    assert len(per_account) > 20  # more accounts than any top list: the total is every account's
    top = per_account.sort_values(ascending=False, kind="stable")
    assert t["Product"].label == "failed logins on mana, last 24 h"
    assert t["Product"].value == f"{int(logins['ItemCount'].sum()):,}"
    assert t["Product"].detail.startswith(f"{len(per_account)} account(s) · top account ")
    assert t["Product"].detail.endswith(f": {int(top.iloc[0]):,}")

    assert t["Incident Response"].value == "1"


def test_the_pages_a_tile_links_to_show_the_tiles_number(raw) -> None:  # type: ignore[no-untyped-def]
    _, source = raw
    t = _tiles(source)
    run = runner.bound(source)

    mon = t["Monitoring"]  # the link opens Failures at the tile's window and role
    assert mon.start is not None and mon.end is not None and mon.role == "mana"
    ov = failures.overview(run, actor=VIEWER, start=mon.start, end=mon.end, role=mon.role)
    assert f"{ov.requests:,}" == mon.value

    prod = t["Product"]
    assert prod.start is not None and prod.end is not None
    bm = business.business_metrics(run, actor=VIEWER, service="mana", start=prod.start, end=prod.end)
    assert f"{bm.failed_login_total:,}" == prod.value

    cap = t["Capacity Planning"]
    assert cap.start is not None and cap.end is not None
    peak = production_peak_rps(source, actor=VIEWER, service="mana", start=cap.start, end=cap.end)
    assert peak is not None and f"{peak:,.1f}" == cap.value

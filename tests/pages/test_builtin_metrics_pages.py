"""CPU % and memory on the Application map and Live metrics, recomputed here from the raw AppPerformanceCounters rows.

Two role instances of mana send % Processor Time, Private Bytes and Available Bytes (which must not count as memory)
samples; mana-worker sends none, so the pages say so instead of showing zeros.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import MAIN, ROOT
from tests.telemetry_fixtures import write

TIMEOUT = 60
MB = 1_048_576
# role instance -> (minutes ago, % Processor Time, Private Bytes in MB) of its samples
SAMPLES = {
    "mana-7d9-a": [(1, 40.0, 500.0), (2, 60.0, 520.0), (3, 50.0, 510.0), (50, 90.0, 700.0), (3000, 99.0, 999.0)],
    "mana-7d9-b": [(1.5, 20.0, 400.0), (4.5, 30.0, 420.0), (7, 80.0, 600.0)],
}


def _rows(now: datetime) -> list[dict]:
    rows = []
    for instance, samples in SAMPLES.items():
        for ago, cpu, mb in samples:
            at = now - timedelta(minutes=ago)
            for category, name, value in (
                ("Processor", "% Processor Time", cpu),
                ("Process", "Private Bytes", mb * MB),
                ("Memory", "Available Bytes", 4000.0 * MB),
            ):
                rows.append(
                    {
                        "TimeGenerated": at,
                        "AppRoleName": "mana",
                        "AppRoleInstance": instance,
                        "Category": category,
                        "Name": name,
                        "Counter": name,
                        "Value": value,
                    }
                )
    return rows


def _expected(rows: list[dict], since: datetime) -> tuple[float, float]:
    f = pd.DataFrame(rows)
    f = f[f.TimeGenerated > since]
    cpu = f[f.Name == "% Processor Time"].Value.mean()
    memory = f[f.Name == "Private Bytes"].Value.mean() / MB
    return float(cpu), float(memory)


@pytest.fixture
def counters_env(mon_env: datetime, isolated_settings: Path) -> list[dict]:
    """mon_env's transactions (mana and mana-worker) and counters of mana's two role instances ending now."""
    rows = _rows(datetime.now(UTC))
    write(isolated_settings / "telemetry", "AppPerformanceCounters", rows)
    st.cache_data.clear()
    return rows


def test_app_map_nodes_show_cpu_and_memory_and_say_when_a_role_sent_none(counters_env: list[dict]) -> None:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("../pages/app_map.py").run()
    assert not at.exception, at.exception
    # the last 24 hours: every sample but the one 3,000 minutes ago
    cpu, memory = _expected(counters_env, datetime.now(UTC) - timedelta(hours=24))
    assert cpu == pytest.approx((40 + 60 + 50 + 90 + 20 + 30 + 80) / 7)
    dot = at.get("graphviz_chart")[0].proto.spec
    assert f"CPU {cpu:.1f} % · memory {memory:,.0f} MB · 2 instances" in dot
    assert "no performance counters" in next(x for x in dot.splitlines() if x.startswith('"role:mana-worker" ['))
    infos = " ".join(i.value for i in at.info)
    assert "no performance counters for mana-worker in " in infos and "the SDK sends them every minute" in infos
    usage = next(d.value for d in at.dataframe if "cpu_pct" in d.value.columns).set_index("instance")
    assert usage.loc["(all)", "cpu_pct"] == pytest.approx(cpu)
    assert usage.loc["mana-7d9-b", "memory_mb"] == pytest.approx((400 + 420 + 600) / 3)


def test_live_metrics_shows_cpu_and_memory_per_role_of_the_last_five_minutes(counters_env: list[dict]) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "live_metrics.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    cpu, memory = _expected(counters_env, datetime.now(UTC) - timedelta(minutes=5))
    # the samples 1, 2, 3 (instance a) and 1.5, 4.5 (instance b) minutes ago
    assert cpu == pytest.approx((40 + 60 + 50 + 20 + 30) / 5)
    assert metrics["CPU · mana"] == f"{cpu:.1f} %"
    assert metrics["Memory · mana"] == f"{memory:,.0f} MB"
    assert "Incoming requests/s" in metrics  # beside the request figures


def test_live_metrics_without_counters_says_so_instead_of_zeros(mon_env: datetime) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "live_metrics.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    assert not [m for m in at.metric if m.label.startswith("CPU")]
    assert any(
        i.value == "no performance counters for mana in the last 5 minutes; the SDK sends them every minute"
        for i in at.info
    )

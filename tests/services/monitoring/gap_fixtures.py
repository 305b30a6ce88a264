"""Hand-made telemetry for the stop/start gap detector: ROWS operations a minute per instance (from 5 s into the
minute, a row each), minutes counted back from AT (12:00), from m = 85 (10:35) on. Minute m's bin is 12:00 − m min.

role mana (requests, pod-a's odd minutes as traces):
  pod-b  m 85..1                   serves throughout: the sibling
  pod-a  m 85..11, then silent      gap since 11:50, 10 min, still silent (steady 30 of 30)
  pod-d  m 85..26, m 20..1          gap since 11:35, 5 min, back (steady 30)
  pod-f  m 85..8 without 24, 22, 20 gap since 11:53, 7 min (steady 27 of 30: just steady)
  pod-g  m 85..8 without 26..20 even  no gap: steady 26 of 30
  pod-e  m 85..1 without 30, 29    no gap: silent 2 minutes only
  pod-c  every 3rd minute, m 84..30 no gap: never steady
  pod-s  m 85..11, 2 a minute       no gap: 6 operations in 3 minutes, a silence proves nothing
role mana-worker: w-1 and w-2 m 85..16, then both silent: no gap (the whole role went quiet)
role billing: bill-1 m 85..21 (last 11:39), bill-2 m 85..1, bill-3 from m 19 (11:41): bill-1 restarted as bill-3, 20 min
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.telemetry_fixtures import AT, write

FIRST = 85
ROWS = 10  # a minute: 300 operations in 30 steady minutes, 30 expected in a 3-minute silence (the detector wants 20)
EXPECTED = [  # (role, instance, silent since, silent minutes, outcome, steady minutes), newest first
    ("mana", "pod-f", "11:53", 7, "still silent", 27),
    ("mana", "pod-a", "11:50", 10, "still silent", 30),
    ("billing", "bill-1", "11:40", 20, "restarted as bill-3", 30),
    ("mana", "pod-d", "11:35", 5, "back after 5 min", 30),
]


def _rows(at: datetime, role: str, instance: str, m: int, n: int) -> list[dict[str, Any]]:
    return [{"TimeGenerated": at - timedelta(minutes=m) + timedelta(seconds=5 + 5 * i), "AppRoleName": role,
             "AppRoleInstance": instance, "OperationId": f"{instance}-{m}-{i}", "ItemCount": 1}
            for i in range(n)]  # fmt: skip


def _minutes(first: int, last: int, without: Iterable[int] = ()) -> list[int]:
    return [m for m in range(first, last - 1, -1) if m not in set(without)]


def write_gaps(root: Path, at: datetime = AT) -> Path:
    """The store described above, its minutes counted back from `at` (a whole minute); its folder."""
    plan: dict[tuple[str, str], list[int]] = {
        ("mana", "pod-b"): _minutes(FIRST, 1),
        ("mana", "pod-a"): _minutes(FIRST, 11),
        ("mana", "pod-d"): _minutes(FIRST, 26) + _minutes(20, 1),
        ("mana", "pod-f"): _minutes(FIRST, 8, (24, 22, 20)),
        ("mana", "pod-g"): _minutes(FIRST, 8, (26, 24, 22, 20)),
        ("mana", "pod-e"): _minutes(FIRST, 1, (30, 29)),
        ("mana", "pod-c"): [m for m in _minutes(84, 30) if m % 3 == 0],
        ("mana", "pod-s"): _minutes(FIRST, 11),
        ("mana-worker", "w-1"): _minutes(FIRST, 16),
        ("mana-worker", "w-2"): _minutes(FIRST, 16),
        ("billing", "bill-1"): _minutes(FIRST, 21),
        ("billing", "bill-2"): _minutes(FIRST, 1),
        ("billing", "bill-3"): _minutes(19, 1),
    }
    requests, traces = [], []
    for (role, instance), minutes in plan.items():
        for m in minutes:
            for row in _rows(at, role, instance, m, 2 if instance == "pod-s" else ROWS):
                if instance == "pod-a" and m % 2:
                    traces.append({**row, "Message": "tick", "SeverityLevel": 1})
                else:
                    requests.append({**row, "Name": "GET /api/shops", "Success": True, "DurationMs": 20.0})
    write(root, "AppRequests", requests)
    write(root, "AppTraces", traces)
    return root

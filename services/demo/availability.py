"""Availability test results: Application Insights' standard tests calling mana from five Azure regions every 5 minutes.

Two tests: "mana-api shops" (GET /api/shops, the public list) and "mana-api health" (GET /health, which checks the
database, Redis and the DOPA identity service). The health test fails while DOPA times out (the DOPA outage incident),
after its 5 s timeout; outside it either test fails now and then (a connection reset). Durations are the region's
round trip plus the endpoint's own time.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from services.demo import catalog as c
from services.demo.columns import MIN_US, build, pick_text, random_hex, timestamps
from services.demo.incidents import DOPA_TIMEOUTS

EVERY_US = 5 * MIN_US
# region, its round trip to mana (ms) and when in the 5 minutes its agent runs (s)
LOCATIONS = (("Southeast Asia", 38.0, 11), ("East Asia", 71.0, 47), ("Japan East", 104.0, 83),
             ("Australia East", 152.0, 131), ("Central India", 96.0, 173))  # fmt: skip
# name, path, the endpoint's median time (ms), response size (bytes)
TESTS = (("mana-api shops", "/api/shops", 46.0, 18_400.0), ("mana-api health", "/health", 21.0, 410.0))
HEALTH_TIMEOUT_MS = 5_000.0
OUTAGE_FAILURE = 0.85  # of health checks during the DOPA outage
RANDOM_FAILURE = 0.002
SYNTHETIC = "Application Insights Availability Monitoring"
PASSED = "Passed"
RESET = "The underlying connection was closed: the connection was closed unexpectedly."
DOPA_DOWN = "Health check failed: dependency 'dopa' did not answer within 5 seconds (503 Service Unavailable)."


def availability_results(rng: np.random.Generator, s_us: int, e_us: int, win: dict[str, tuple[int, int]]) -> pa.Table:
    """AppAvailabilityResults of [s_us, e_us): every test from every region, once per 5 minutes."""
    slots = np.arange(s_us // EVERY_US, (e_us - 1) // EVERY_US + 1, dtype=np.int64) * EVERY_US
    grid = [(slot, t, loc) for slot in slots.tolist() for t in range(len(TESTS)) for loc in range(len(LOCATIONS))]
    at = np.array([slot + LOCATIONS[loc][2] * 1_000_000 + test * 3_000_000 for slot, test, loc in grid], np.int64)
    test = np.array([g[1] for g in grid], np.int64)
    loc = np.array([g[2] for g in grid], np.int64)
    keep = (at >= s_us) & (at < e_us)
    at, test, loc = at[keep], test[keep], loc[keep]
    n = len(at)
    trip = np.array([x[1] for x in LOCATIONS])[loc]
    own = np.array([x[2] for x in TESTS])[test]
    ms = trip * rng.lognormal(0.0, 0.15, n) + own * rng.lognormal(0.0, 0.35, n)
    u = rng.random(n)
    outage = np.zeros(n, dtype=bool)
    if DOPA_TIMEOUTS in win:
        lo, hi = win[DOPA_TIMEOUTS]
        outage = (test == 1) & (at >= lo) & (at < hi) & (u < OUTAGE_FAILURE)
    reset = ~outage & (rng.random(n) < RANDOM_FAILURE)
    ms = np.where(outage, HEALTH_TIMEOUT_MS + trip, np.where(reset, trip * 3, ms))
    ok = ~(outage | reset)
    run_id = random_hex(rng, n, 16)
    names = pick_text([t[0] for t in TESTS], test)
    return build(
        "AppAvailabilityResults",
        n,
        {
            "TimeGenerated": timestamps(at),
            "Id": run_id,
            "OperationId": run_id,
            "Name": names,
            "OperationName": names,
            "Location": pick_text([x[0] for x in LOCATIONS], loc),
            "Success": pa.array(ok),
            "Message": pick_text([PASSED, DOPA_DOWN, RESET], np.where(outage, 1, np.where(reset, 2, 0))),
            "DurationMs": pa.array(np.round(ms, 1)),
            "PerformanceBucket": pick_text(c.BUCKETS, np.searchsorted(c.BUCKET_EDGES, ms, side="right")),
            "Size": pa.array(np.where(ok, np.array([x[3] for x in TESTS])[test], 0.0)),
        },
        {"SyntheticSource": SYNTHETIC, "SDKVersion": "availability:2.0.0", **c.RESOURCE},
    )

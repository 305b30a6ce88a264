"""The demo's capacity ramp (services/demo/k6/capacity): a real k6 run past the knee, so the Capacity plan finds a
sustained RPS within the latency SLO and a busier minute that breaks it; the plan's figures recomputed with plain
DuckDB from the raw k6 lines."""

from __future__ import annotations

import duckdb
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.db import session_scope
from services.demo.seed_features import K6_DIR, import_capacity_ramp
from services.loadtests import capacity, storage
from services.loadtests import service as loadtests
from tests.services.loadtests.conftest import DEV

THRESHOLD_MS = 300.0  # the team's latency SLO

# per whole minute of the raw k6 lines: requests / 60 and the p95 of http_req_duration (the plan's definition)
BY_HAND = """
WITH p AS (
    SELECT metric, data."time"::TIMESTAMPTZ AS t, data."value" AS v
    FROM read_json(?, format = 'newline_delimited',
                   columns = {'type': 'VARCHAR', 'metric': 'VARCHAR', 'data': 'STRUCT("time" VARCHAR, "value" DOUBLE)'})
    WHERE "type" = 'Point'),
     span AS (SELECT min(t) AS t0, max(t) AS t1 FROM p)
SELECT date_trunc('minute', t) AS minute,
       count(*) FILTER (WHERE metric = 'http_reqs') / 60.0 AS rps,
       quantile_cont(v, 0.95) FILTER (WHERE metric = 'http_req_duration') AS p95
FROM p, span
WHERE date_trunc('minute', t) >= t0 AND date_trunc('minute', t) + INTERVAL 1 MINUTE <= t1  -- the run covers all of it
GROUP BY 1 ORDER BY 1
"""


def test_the_capacity_ramp_has_a_knee_the_plan_finds(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        run_id = import_capacity_ramp(s, actor=DEV, service="mana", root=get_settings().loadtests.dir)
    with session_scope(sqlite_engine) as s:
        run = loadtests.run_report(s, actor=DEV, run_id=run_id)
    assert not run.git_ref  # no release is judged by it
    points = storage.points_path(get_settings().loadtests.dir, run.points_file)
    curve = capacity.curve(storage.series(points, bucket_s=60), threshold_ms=THRESHOLD_MS)
    sustained = capacity.sustained_rps(curve)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    minutes = con.execute(BY_HAND, [str(K6_DIR / "capacity" / "out.ndjson.gz")]).fetchall()
    within = [rps for _, rps, p95 in minutes if p95 <= THRESHOLD_MS]
    beyond = [(rps, p95) for _, rps, p95 in minutes if p95 > THRESHOLD_MS]
    assert within and sustained == max(within)  # the plan's sustained RPS: the busiest whole minute within the SLO
    assert any(rps > sustained for rps, _ in beyond)  # a busier minute breaks the SLO: the knee
    whole = curve[curve["full"]]
    assert sorted(whole["rps"]) == sorted(rps for _, rps, _ in minutes)  # the same whole minutes

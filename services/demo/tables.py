"""generate(): mana's telemetry for one interval [start, end), one Arrow table per store table.

Used by both `seed` (a day at a time) and `live` (a tick at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa

from services.demo import children
from services.demo.availability import availability_results
from services.demo.columns import to_us
from services.demo.core import DEFAULT_SEED, requests_table, sample
from services.demo.counters import performance_counters
from services.demo.incidents import Incident
from services.demo.population import Population, population


def generate(
    start: datetime,
    end: datetime,
    *,
    rng: np.random.Generator,
    rate_per_minute: float = 60.0,
    incidents: Sequence[Incident] = (),
    population_: Population | None = None,
) -> dict[str, pa.Table]:
    """mana's telemetry for [start, end): one Arrow table per store table, in schema.table_schema order.

    The same rng state, arguments and population give the same rows. `incidents` (see incident_windows)
    apply where they overlap the interval; the AppVersion timeline follows the regression incident
    (2026.11.3 before, 2026.11.4 during, 2026.11.5 after it; 2026.11.5 throughout without it). Every row's
    TimeGenerated lies in [start, end). The role instances' performance counters follow their requests
    (services.demo.counters); the availability tests run every 5 minutes (services.demo.availability).
    """
    pop = population_ or population(DEFAULT_SEED)
    win = {i.name: (to_us(i.start), to_us(i.end)) for i in incidents}
    b = sample(rng, to_us(start), to_us(end), rate_per_minute, win, pop)
    deps = children.dependencies(b, rng)
    return {
        "AppRequests": requests_table(b),
        "AppDependencies": deps.table,
        "AppExceptions": children.exceptions(b),
        "AppTraces": children.traces(b, rng),
        "AppEvents": children.events(b),
        "AppMetrics": children.metrics(b, deps, rng),
        # drawn last, so the tables above are the same with or without them
        "AppPerformanceCounters": performance_counters(b, rng, rate_per_minute),
        "AppAvailabilityResults": availability_results(rng, b.s_us, b.e_us, win),
    }

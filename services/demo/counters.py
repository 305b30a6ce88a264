"""The performance counters each role instance reports once a minute, following the load its requests put on it.

The Application Insights SDK collects `\\Processor(_Total)\\% Processor Time`, `\\Process(??APP_WIN32_PROC??)\\Private
Bytes`, `\\Memory\\Available Bytes` and, on web roles, `\\ASP.NET Applications(??APP_W3SVC_PROC??)\\Requests/Sec` every
minute; each lands in AppPerformanceCounters as one row (Category, Counter = Name, Instance, Value).

The load model, per instance and minute: utilisation u = requests per second / the instance's capacity, where an AKS
pod is saturated at 0.8 × the demo's mean request rate and the App Service instance (a smaller plan) at 0.45 × it, so
the App Service instance runs hot at the daily peak; the worker's one settlement a minute keeps it about a third busy.
CPU = 3 % idle + 97 % × u; private bytes grow with u, with the requests' mean duration (slow requests hold memory) and
with the heap between collections; available memory is what the node has left. An instance reports from its first
to its last request of the interval.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from services.demo import catalog as c
from services.demo.columns import MIN_US, build, pick_text, timestamps
from services.demo.core import Batch

COLLECTED_US = 13_000_000  # the collector's minute tick falls 13 s past the minute
IDLE_CPU = 3.0
POD_CAPACITY = 0.8  # requests per second, as a share of the demo's mean rate, that saturate an AKS pod
APP_SERVICE_CAPACITY = 0.45
WORKER_BUSY = 0.33  # the worker's utilisation at one settlement a minute
MIB = 1 << 20
GIB = 1 << 30
_PRIVATE_BASE = {c.ROLE: 410 * MIB, c.WORKER_ROLE: 240 * MIB}
_PROCESS = {c.ROLE: "Mana.Api", c.WORKER_ROLE: "Mana.Worker"}
_NODE = (7 * GIB, int(2.4 * GIB))  # an AKS node: allocatable memory, and what else runs on it
_APP_SERVICE_NODE = (int(3.5 * GIB), int(1.2 * GIB))
# (Category, Name, Instance) of each counter; Requests/Sec only on the web role
COUNTERS = (
    ("Processor", "% Processor Time", "_Total"),
    ("Process", "Private Bytes", None),  # the process name
    ("Memory", "Available Bytes", ""),
    ("ASP.NET Applications", "Requests/Sec", "??APP_W3SVC_PROC??"),
)


def _minutes(b: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(instance, minute, the last request of the instance up to that minute's end) for every minute an instance
    reports in, its counter tick inside the interval."""
    if b.n == 0:
        e64 = np.zeros(0, dtype=np.int64)
        return e64, e64, e64
    order = np.lexsort((b.t, b.inst))
    inst, t = b.inst[order], b.t[order]
    starts = np.flatnonzero(np.r_[True, inst[1:] != inst[:-1]])
    ends = np.r_[starts[1:], len(inst)]
    out_inst, out_min, out_row = [], [], []
    for s, e in zip(starts, ends, strict=True):
        minutes = np.arange(t[s] // MIN_US, t[e - 1] // MIN_US + 1, dtype=np.int64)
        tick = minutes * MIN_US + COLLECTED_US
        minutes = minutes[(tick >= b.s_us) & (tick < b.e_us)]
        last = s + np.searchsorted(t[s:e], (minutes + 1) * MIN_US, side="left") - 1
        out_inst.append(np.full(len(minutes), inst[s]))
        out_min.append(minutes)
        out_row.append(order[np.maximum(last, s)])
    return np.concatenate(out_inst), np.concatenate(out_min), np.concatenate(out_row)


def performance_counters(b: Batch, rng: np.random.Generator, rate_per_minute: float) -> pa.Table:
    """AppPerformanceCounters of a batch: four counters per web-role instance and minute, three per worker."""
    inst, minute, row = _minutes(b)
    # the requests (and their total duration) of each instance in each minute, over the part inside the interval
    pairs = (inst << 32) | minute  # sorted: by instance, then minute
    of_request = (b.inst.astype(np.int64) << 32) | (b.t // MIN_US)
    k = np.minimum(np.searchsorted(pairs, of_request), max(len(pairs) - 1, 0))
    hit = (pairs[k] == of_request) if len(pairs) else np.zeros(len(of_request), dtype=bool)
    n = np.bincount(k[hit], minlength=len(pairs)).astype(np.float64)
    busy_ms = np.bincount(k[hit], weights=b.dur[hit], minlength=len(pairs))
    covered = (np.minimum((minute + 1) * MIN_US, b.e_us) - np.maximum(minute * MIN_US, b.s_us)) / 1e6
    rps = n / np.maximum(covered, 1.0)
    worker = inst >= c.WORKER_INSTANCE_BASE
    app_service = inst == c.APP_SERVICE_INDEX
    capacity = rate_per_minute / 60.0 * np.where(app_service, APP_SERVICE_CAPACITY, POD_CAPACITY)
    u = np.where(worker, WORKER_BUSY * np.minimum(n, 2.0), rps / np.maximum(capacity, 1e-9))
    cpu = np.clip(IDLE_CPU + (100.0 - IDLE_CPU) * np.minimum(u, 1.0) + rng.normal(0.0, 2.0, len(u)), 0.5, 100.0)
    mean_ms = np.where(n > 0, busy_ms / np.maximum(n, 1), 0.0)
    heap = ((minute * 7 + inst * 13) % 23) / 23.0 * 48 * MIB  # the heap grows until a collection, then drops
    base = np.where(worker, _PRIVATE_BASE[c.WORKER_ROLE], _PRIVATE_BASE[c.ROLE])
    private = base + 140 * MIB * np.minimum(u, 1.5) + np.minimum(mean_ms * 0.25 * MIB, 150 * MIB) + heap
    private = np.round(private + rng.normal(0.0, 4 * MIB, len(u)))
    node, other = (np.where(app_service, a, p) for a, p in zip(_APP_SERVICE_NODE, _NODE, strict=True))
    available = np.round(node - other - private + rng.normal(0.0, 30 * MIB, len(u)))

    taken = pa.array(row, pa.int64())
    role = b.ctx["AppRoleName"].take(taken)
    process = pick_text([_PROCESS[c.ROLE], _PROCESS[c.WORKER_ROLE]], worker.astype(np.int64))
    values = (np.round(cpu, 2), private, available, np.round(rps, 3))
    tables = []
    for (category, name, instance), value in zip(COUNTERS, values, strict=True):
        keep = ~worker if category == "ASP.NET Applications" else np.ones(len(u), dtype=bool)
        k = int(keep.sum())
        mask = pa.array(keep)
        tables.append(
            build(
                "AppPerformanceCounters",
                k,
                {
                    "TimeGenerated": timestamps(minute[keep] * MIN_US + COLLECTED_US),
                    "AppRoleName": role.filter(mask),
                    "AppRoleInstance": b.ctx["AppRoleInstance"].take(taken).filter(mask),
                    "AppVersion": b.ctx["AppVersion"].take(taken).filter(mask),
                    "Instance": process.filter(mask) if instance is None else pa.repeat(pa.scalar(instance), k),
                    "Value": pa.array(value[keep].astype(np.float64)),
                },
                {
                    "Category": category,
                    "Counter": name,
                    "Name": name,
                    "SDKVersion": c.SDK["AppRequests"],
                    "ClientType": "PC",
                    **c.RESOURCE,
                },
            )
        )
    return pa.concat_tables(tables).sort_by("TimeGenerated")

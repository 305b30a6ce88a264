"""CPU and memory of every role and role instance over a range, one definition for every page that shows them.

From the performance counters the Application Insights SDK sends once a minute per role instance
(AppPerformanceCounters, catalogue query counters_by_instance), over a range (start, end]:

CPU %      = the average of the "% Processor Time" samples (Category "Processor")
memory MB  = the average of the "Private Bytes" samples (Category "Process") / 1,048,576 (1 MB = 2^20 bytes)
instances  = the role instances that sent a "% Processor Time" sample in the range

A role's averages are over all of its instances' samples (the sum of their samples / their count), not an average
of the instances' averages, so an instance that reported longer weighs more.

For the capacity plan (catalogue query counters_cpu_minutes), over the same range:

instances per minute = "% Processor Time" samples / the minutes that have one: the role instances reporting in an
                       average minute (pods replaced by a deployment or scaled in count for the minutes they ran,
                       not as extra instances for the whole range)
CPU % × instances    = average CPU % × instances per minute (the sum of the samples / those minutes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from services.auth import Actor
from services.monitoring.common import fetch, to_int
from services.telemetry.runner import Runner, may_read

QUERY = "counters_by_instance"
CPU_MINUTES = "counters_cpu_minutes"
MB = 1 << 20
FORMULA = (
    'CPU % = the average of the "% Processor Time" samples; memory = the average of the "Private Bytes" samples '
    "in MB (1 MB = 1,048,576 bytes); the SDK sends both once a minute per role instance."
)


def missing(role: str, window: str) -> str:
    """What a page says instead of zeros when a role sent no counters in the window."""
    return f"no performance counters for {role} in {window}; the SDK sends them every minute"


@dataclass(frozen=True)
class Usage:
    """CPU % and memory of a role (instance None) or of one role instance over a range, with the samples behind."""

    role: str
    instance: str | None
    cpu_sum: float
    cpu_samples: int
    memory_sum: float
    memory_samples: int
    instances: int

    @property
    def cpu_pct(self) -> float | None:
        """The average % Processor Time sample (None without samples)."""
        return self.cpu_sum / self.cpu_samples if self.cpu_samples else None

    @property
    def memory_mb(self) -> float | None:
        """The average Private Bytes sample in MB (None without samples)."""
        return self.memory_sum / self.memory_samples / MB if self.memory_samples else None

    @property
    def reported(self) -> bool:
        """Whether any CPU or memory sample arrived in the range."""
        return bool(self.cpu_samples or self.memory_samples)


@dataclass(frozen=True)
class Counters:
    """CPU and memory per role and per role instance over (start, end]."""

    start: datetime
    end: datetime
    roles: tuple[Usage, ...]
    instances: tuple[Usage, ...]
    notes: tuple[str, ...] = field(default=())

    def role(self, name: str) -> Usage | None:
        """The figures of one role, None when it sent no counters in the range."""
        return next((u for u in self.roles if u.role == name), None)

    def silent(self, roles: list[str]) -> list[str]:
        """The roles of `roles` that sent no CPU or memory sample in the range (a page says so instead of zeros)."""
        return [r for r in roles if (u := self.role(r)) is None or not u.reported]

    def frame(self) -> pd.DataFrame:
        """One row per role, then per role instance: role, instance, CPU %, memory MB, instances, samples."""
        return pd.DataFrame(
            [
                {
                    "role": u.role,
                    "instance": u.instance or "(all)",
                    "cpu_pct": u.cpu_pct,
                    "memory_mb": u.memory_mb,
                    "instances": u.instances,
                    "cpu_samples": u.cpu_samples,
                }
                for u in (*self.roles, *self.instances)
            ],
            columns=["role", "instance", "cpu_pct", "memory_mb", "instances", "cpu_samples"],
        )


def summarise(frame: pd.DataFrame, *, start: datetime, end: datetime, notes: tuple[str, ...] = ()) -> Counters:
    """Counters from the rows of counters_by_instance: each instance as it came, each role as its instances' sum."""
    if frame.empty:
        return Counters(start, end, (), (), notes)
    rows = to_int(frame.copy(), "cpu_samples", "memory_samples")
    for col in ("cpu_sum", "memory_sum"):
        rows[col] = rows[col].astype(float).fillna(0.0)
    instances = tuple(
        Usage(
            str(r["AppRoleName"]),
            str(r["AppRoleInstance"]),
            float(r["cpu_sum"]),
            int(r["cpu_samples"]),
            float(r["memory_sum"]),
            int(r["memory_samples"]),
            1 if int(r["cpu_samples"]) else 0,
        )
        for r in rows.to_dict("records")
    )
    by_role = rows.groupby("AppRoleName", sort=True)
    roles = tuple(
        Usage(
            str(role),
            None,
            float(g["cpu_sum"].sum()),
            int(g["cpu_samples"].sum()),
            float(g["memory_sum"].sum()),
            int(g["memory_samples"].sum()),
            int((g["cpu_samples"] > 0).sum()),
        )
        for role, g in by_role
    )
    return Counters(start, end, roles, instances, notes)


def usage(run: Runner, *, actor: Actor, start: datetime, end: datetime, role: str = "") -> Counters:
    """CPU and memory of `role` (every role when empty) and of its role instances over (start, end]."""
    may_read(actor)
    notes: list[str] = []
    frame = fetch(run, QUERY, start, end, notes, actor=actor, role=role)
    return summarise(frame, start=start, end=end, notes=tuple(notes))


@dataclass(frozen=True)
class CpuLoad:
    """A role's % Processor Time samples over a range, counted by the minutes that have one."""

    role: str
    start: datetime
    end: datetime
    minutes: int
    samples: int
    cpu_sum: float

    @property
    def cpu_pct(self) -> float:
        """The average % Processor Time sample."""
        return self.cpu_sum / self.samples

    @property
    def instances(self) -> float:
        """The role instances reporting in an average minute: samples / minutes."""
        return self.samples / self.minutes


def cpu_load(run: Runner, *, actor: Actor, role: str, start: datetime, end: datetime) -> CpuLoad | None:
    """The CPU samples of `role` over (start, end] and the minutes they fall in; None when it sent none."""
    may_read(actor)
    frame = to_int(fetch(run, CPU_MINUTES, start, end, [], actor=actor, role=role), "minutes", "samples")
    rows = frame[frame["AppRoleName"] == role] if not frame.empty else frame
    if rows.empty or int(rows["samples"].iloc[0]) == 0:
        return None
    first = rows.iloc[0]
    return CpuLoad(role, start, end, int(first["minutes"]), int(first["samples"]), float(first["cpu_sum"]))

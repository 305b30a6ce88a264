"""The application map: a node per role and per dependency target, edges with calls, failure rate and duration, each
role's CPU % and memory (services.monitoring.counters), and the stop/start gaps of each role's instances
(services.monitoring.gaps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from services.auth import Actor
from services.monitoring import counters
from services.monitoring import gaps as stop_start
from services.monitoring.common import fetch, to_int
from services.telemetry.runner import Runner, may_read

FAILURE_RATE_LIMIT = 0.05
AVG_MS_LIMIT = 1000.0
RULE = (
    f"An edge or role is red when its failure rate is above {FAILURE_RATE_LIMIT:.0%} "
    f"or its average duration above {AVG_MS_LIMIT / 1000:g} s."
)
RED, GREEN, GREY, AMBER = "#d33", "#2e7d32", "#888888", "#e65100"


@dataclass
class AppMap:
    """Roles (requests, failures, average duration), calls per role and target, and the DOT text."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    dot: str
    notes: list[str] = field(default_factory=list)
    gaps: list[stop_start.Gap] = field(default_factory=list)
    usage: counters.Counters | None = None

    @property
    def roles(self) -> list[str]:
        """The role nodes, busiest first."""
        return [str(r) for r in self.nodes["AppRoleName"]] if not self.nodes.empty else []

    @property
    def node_names(self) -> list[str]:
        """Every node: the roles, then the targets that are no role, most called first."""
        targets = [] if self.edges.empty else [str(t) for t in dict.fromkeys(self.edges["Target"])]
        return self.roles + [t for t in targets if t not in self.roles]


def callers(amap: AppMap, node: str) -> list[str]:
    """The roles whose failures and performance a node leads to: the role itself, or the roles calling a target."""
    if node in amap.roles:
        return [node]
    if amap.edges.empty:
        return []
    return [str(r) for r in dict.fromkeys(amap.edges.loc[amap.edges["Target"] == node, "AppRoleName"])]


def unhealthy(failure_rate: float, avg_ms: float) -> bool:
    """The rule: failure rate above 5 % or average duration above 1 s."""
    return failure_rate > FAILURE_RATE_LIMIT or avg_ms > AVG_MS_LIMIT


def quote(text: str) -> str:
    """A DOT double-quoted string whose content is `text` (quotes, backslashes and newlines escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _rate(value: float) -> str:
    return f"{value:.2%}"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _gap_line(found: list[stop_start.Gap]) -> str:
    names = ", ".join(dict.fromkeys(g.instance for g in found))
    return f"\n{len(found)} stop/start gap{'s' * (len(found) > 1)}: {names}" if found else ""


def _usage_line(usage: counters.Usage | None) -> str:
    if usage is None or not usage.reported:
        return "\nno performance counters"
    cpu = "CPU —" if usage.cpu_pct is None else f"CPU {usage.cpu_pct:.1f} %"
    memory = "memory —" if usage.memory_mb is None else f"memory {usage.memory_mb:,.0f} MB"
    return f"\n{cpu} · {memory} · {usage.instances} instance{'s' * (usage.instances != 1)}"


def dot(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    gaps: list[stop_start.Gap] | None = None,
    usage: counters.Counters | None = None,
) -> str:
    """DOT text: roles as boxes with their CPU % and memory when `usage` is given, targets as ellipses (a target named
    like a role is that role), red when unhealthy; a role with stop/start gaps names its silent instances and is
    amber unless red."""
    lines = [
        "digraph appmap {",
        'rankdir=LR; nodesep=0.4; ranksep=1.0; node [fontname="Helvetica", fontsize=10]; '
        'edge [fontname="Helvetica", fontsize=9];',
    ]
    role_rows = nodes.to_dict("records") if not nodes.empty else []
    edge_rows = edges.to_dict("records") if not edges.empty else []
    roles = {str(r["AppRoleName"]) for r in role_rows}
    silent = stop_start.by_role(gaps or [])
    for r in role_rows:
        rate, avg = float(r["failure_rate"]), float(r["avg_ms"])
        bad, found = unhealthy(rate, avg), silent.get(str(r["AppRoleName"]), [])
        label = f"{r['AppRoleName']}\n{int(r['requests']):,} requests · {_rate(rate)} failed · avg {_ms(avg)}"
        if usage is not None:
            label += _usage_line(usage.role(str(r["AppRoleName"])))
        colour = RED if bad else (AMBER if found else GREEN)
        lines.append(
            f'{quote("role:" + str(r["AppRoleName"]))} [shape=box, style="rounded,filled", fillcolor="#eef4ff", '
            f'color="{colour}", penwidth={3 if bad or found else 1.5}, label={quote(label + _gap_line(found))}];'
        )
    targets: set[str] = set()
    for e in edge_rows:
        target = str(e["Target"])
        if target in roles or target in targets:
            continue
        targets.add(target)
        lines.append(
            f'{quote("target:" + target)} [shape=ellipse, style=filled, fillcolor="#f4f4f4", color="{GREY}", '
            f"label={quote(target + chr(10) + str(e['DependencyType']))}];"
        )
    for e in edge_rows:
        target = str(e["Target"])
        head = "role:" + target if target in roles else "target:" + target
        rate, avg = float(e["failure_rate"]), float(e["avg_ms"])
        colour = RED if unhealthy(rate, avg) else GREY
        label = f"{int(e['calls']):,} calls\n{_rate(rate)} failed\navg {_ms(avg)}"
        lines.append(
            f"{quote('role:' + str(e['AppRoleName']))} -> {quote(head)} [label={quote(label)}, "
            f'color="{colour}", fontcolor="{colour}", penwidth={3 if colour == RED else 1.2}];'
        )
    lines.append("}")
    return "\n".join(lines)


def app_map(run: Runner, *, actor: Actor, start: datetime, end: datetime) -> AppMap:
    """The map over a range: role nodes from AppRequests with their CPU % and memory from AppPerformanceCounters,
    edges from AppDependencies, the gaps that began in it."""
    may_read(actor)
    notes: list[str] = []
    nodes = to_int(fetch(run, "appmap_nodes", start, end, notes, actor=actor), "requests", "failed")
    edges = to_int(fetch(run, "appmap_edges", start, end, notes, actor=actor), "calls", "failed")
    for frame in (nodes, edges):
        for col in ("failure_rate", "avg_ms"):
            if col in frame:
                frame[col] = frame[col].astype(float).fillna(0.0)
    if not edges.empty:
        edges["unhealthy"] = [unhealthy(f, a) for f, a in zip(edges["failure_rate"], edges["avg_ms"], strict=True)]
    found = stop_start.find(run, actor=actor, start=start, end=end, notes=notes)
    usage = counters.usage(run, actor=actor, start=start, end=end)
    notes.extend(n for n in usage.notes if n not in notes)
    if not nodes.empty:
        by_role = [usage.role(str(r)) for r in nodes["AppRoleName"]]
        nodes["cpu_pct"] = [None if u is None else u.cpu_pct for u in by_role]
        nodes["memory_mb"] = [None if u is None else u.memory_mb for u in by_role]
    return AppMap(nodes=nodes, edges=edges, dot=dot(nodes, edges, found, usage), notes=notes, gaps=found, usage=usage)

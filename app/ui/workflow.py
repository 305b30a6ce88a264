"""The SDLC workflow as a Graphviz diagram: phases in a row, each with the practices it uses below it."""

from __future__ import annotations

from services.overview import PHASES, PRACTICES

STATE_COLOUR = {"ok": "#d8f0dc", "warn": "#fff1c2", "alert": "#f8d0d0", "none": "#eeeeee"}


def workflow_dot(states: dict[str, str]) -> str:
    """DOT text; each practice node is coloured by its live state (ok, warn, alert, none)."""
    lines = [
        "digraph sdlc {",
        "rankdir=TB; nodesep=0.2; ranksep=0.3;",
        'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, width=1.4];',
    ]
    phases = []
    for i, (phase, practices) in enumerate(PHASES):
        phases.append(f"p{i}")
        lines.append(f'p{i} [label="{i + 1}. {phase}", fillcolor="#0b6bcb", fontcolor=white, fontsize=11];')
        if i:
            lines.append(f"p{i - 1} -> p{i} [penwidth=2];")
        previous = f"p{i}"
        for practice in practices:
            node = f"x{i}_{PRACTICES.index(practice)}"
            colour = STATE_COLOUR[states.get(practice, "none")]
            lines.append(f'{node} [label="{practice}", fillcolor="{colour}"];')
            lines.append(f"{previous} -> {node} [style=dashed, arrowhead=none, color=gray];")
            previous = node
    lines.append("{rank=same; " + "; ".join(phases) + ";}")
    lines.append("}")
    return "\n".join(lines)

"""The status workflow and the team's resolution protocol, as pure rules."""

from __future__ import annotations

from dataclasses import dataclass

from services.errors import Conflict, InvalidInput

# new → acknowledged → mitigating → resolved → closed; shortcuts forward are allowed, reopen goes back to new
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "mitigating", "resolved"),
    "acknowledged": ("mitigating", "resolved"),
    "mitigating": ("resolved",),
    "resolved": ("closed", "new"),
    "closed": ("new",),
}
OPEN_STATUSES = ("new", "acknowledged", "mitigating")


def check_transition(current: str, target: str) -> None:
    """Refuse an illegal move with a message that says which moves are allowed."""
    if target not in TRANSITIONS:
        raise InvalidInput(f"Unknown status {target!r}; statuses are {', '.join(TRANSITIONS)}.")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        names = [("reopen (new)" if s == "new" else s) for s in allowed]
        raise Conflict(
            f"An incident that is {current} cannot move to {target}; from {current} it can go to: {', '.join(names)}."
        )


def resolve_gaps(status: str, classification: str, runbook: str | None, unticked: list[int], steps: int) -> list[str]:
    """What resolving from `status` would skip: the mitigating step, and (for an incident resolvable by protocol)
    the runbook steps not ticked. Each needs a reason on the timeline before the incident may be resolved."""
    gaps = []
    if status != "mitigating":
        gaps.append(f"without mitigating (from {status})")
    if classification == "protocol" and runbook and unticked:
        numbers = ", ".join(str(n) for n in unticked)
        gaps.append(f"with step{'s' * (len(unticked) > 1)} {numbers} of {steps} of the runbook {runbook!r} unticked")
    return gaps


@dataclass(frozen=True)
class ProtocolRule:
    """What the team does for one classification."""

    classification: str
    summary: str
    board_issue: bool
    hotfix: bool
    issue_tags: tuple[str, ...]
    issue_priority: int | None


PROTOCOL: dict[str, ProtocolRule] = {
    "protocol": ProtocolRule(
        "protocol", "Resolvable by protocol: follow the matching runbook, then resolve.", False, False, (), None
    ),
    "non-critical": ProtocolRule(
        "non-critical",
        "Not severe: open a board issue to fix in the next release.",
        True,
        False,
        ("next-release",),
        3,
    ),
    "critical": ProtocolRule(
        "critical",
        "Critical: open a priority-1 board issue and run the hotfix process.",
        True,
        True,
        ("hotfix",),
        1,
    ),
    "unknown": ProtocolRule(
        "unknown", "Unknown: discuss, then classify as protocol, non-critical or critical.", False, False, (), None
    ),
}

HOTFIX_CHECKLIST = (
    "Create the hotfix branch from the released tag",
    "Fix and review",
    "Test (unit, integration, a k6 smoke run)",
    "Deploy to production",
    "Verify the SLI recovered on the SLO page",
)


def protocol_for(classification: str) -> ProtocolRule:
    """The rule for a classification, or InvalidInput naming the valid ones."""
    try:
        return PROTOCOL[classification]
    except KeyError:
        raise InvalidInput(f"Unknown classification {classification!r}; use one of: {', '.join(PROTOCOL)}.") from None

"""The SDLC phases a feature travels, the practices each one uses, and where each kind of work enters."""

from __future__ import annotations

from services.errors import InvalidInput

# (key, name, practices): the order is the workflow's
PHASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("planning", "Planning", ("Product",)),
    ("analysis", "Analysis", ("Product",)),
    ("design", "Design", ("Development", "Monitoring", "Incident Response")),
    ("implementation", "Implementation", ("Testing", "Monitoring", "Incident Response", "Postmortem & RCA")),
    ("testing", "Testing & Integration", ("Capacity Planning", "Monitoring", "Incident Response")),
    ("maintenance", "Maintenance", ("Monitoring", "Incident Response", "Postmortem & RCA")),
)
PHASE_KEYS: tuple[str, ...] = tuple(k for k, _, _ in PHASES)
PHASE_NAMES: dict[str, str] = {k: name for k, name, _ in PHASES}

# the team's entry points: a pull request and a single-environment change enter at Implementation, a contributed
# issue or bug at Testing & Integration, a feature at Planning
ENTRY_PHASE: dict[str, str] = {
    "feature": "planning",
    "pull-request": "implementation",
    "bug": "testing",
    "single-environment": "implementation",
}
ENTRY_NAMES: dict[str, str] = {
    "feature": "feature",
    "pull-request": "pull request",
    "bug": "contributed bug",
    "single-environment": "single-environment change",
}
# the lowest role that may sign off an item of each phase (leads sign off anything)
SIGN_OFF_ROLE: dict[str, str] = {"implementation": "developer", "testing": "operator"}
# a release is ready when its features have reached this phase with every gate up to it passed or waived
RELEASE_READY = "testing"


def index(phase: str) -> int:
    """The phase's position, 0 for Planning; InvalidInput for a name that is not a phase."""
    try:
        return PHASE_KEYS.index(phase)
    except ValueError:
        raise InvalidInput(f"Unknown phase {phase!r}; phases: {', '.join(PHASE_KEYS)}.") from None


def next_phase(phase: str) -> str | None:
    """The phase after `phase` (None after Maintenance)."""
    i = index(phase)
    return PHASE_KEYS[i + 1] if i + 1 < len(PHASE_KEYS) else None


def previous_phase(phase: str) -> str | None:
    """The phase before `phase` (None before Planning)."""
    i = index(phase)
    return PHASE_KEYS[i - 1] if i else None


def sign_off_role(phase: str) -> str:
    """The lowest role that may sign off an item of the phase."""
    return SIGN_OFF_ROLE.get(phase, "lead")


def skipped(phase: str, *, entry: str, current: str) -> bool:
    """Whether the phase is before the work's journey: work that enters later (a pull request at Implementation, a
    bug at Testing & Integration) is not judged on the phases before its entry, unless it was moved back into them."""
    return index(phase) < min(index(entry_phase(entry)), index(current))


def entry_phase(entry: str) -> str:
    """Where work of this entry kind starts."""
    if entry not in ENTRY_PHASE:
        raise InvalidInput(f"Unknown entry kind {entry!r}; use one of {', '.join(ENTRY_PHASE)}.")
    return ENTRY_PHASE[entry]

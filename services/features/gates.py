"""Gate evaluation: each item of a feature's template, judged from data or by its sign-off, with waivers on top.

An item is passed when its data check passes (or, for a sign-off item, when someone with the right role signed it
off), waived when it would be open but a lead waived it, and open otherwise. A feature may leave a phase when every
required item of that phase is passed or waived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.features.checks import CHECKS, CheckResult, Link
from services.features.evidence import Evidence
from services.features.models import GateSignOff
from services.features.phases import PHASE_KEYS, PHASE_NAMES, RELEASE_READY, skipped
from services.features.views import FeatureView

STATES = ("passed", "open", "waived")


@dataclass(frozen=True)
class Word:
    """A sign-off or waiver as shown beside its item."""

    kind: str
    actor: str
    role: str
    at: datetime
    evidence: str

    @classmethod
    def of(cls, row: GateSignOff) -> Word:
        """Copy a stored sign-off."""
        return cls(row.kind, row.actor, row.role, row.at, row.evidence)


def _word_json(w: Word | None) -> dict[str, str] | None:
    return None if w is None else {"by": w.actor, "role": w.role, "at": w.at.isoformat(), "text": w.evidence}


@dataclass(frozen=True)
class ItemState:
    """One gate item of one feature, judged."""

    phase: str
    key: str
    title: str
    required: bool
    kind: str  # "data" or "sign-off"
    state: str  # passed, open, waived
    detail: str
    evidence_required: bool = False
    check: str | None = None
    links: tuple[Link, ...] = ()
    sign_off: Word | None = None
    waiver: Word | None = None

    def as_json(self) -> dict[str, Any]:
        """The `feature show --json` item."""
        return {
            "phase": self.phase,
            "key": self.key,
            "title": self.title,
            "required": self.required,
            "kind": self.kind,
            "state": self.state,
            "detail": self.detail,
            "links": [{"label": x.label, "page": x.page, "params": dict(x.params)} for x in self.links],
            "sign_off": _word_json(self.sign_off),
            "waiver": _word_json(self.waiver),
        }


@dataclass
class FeatureGates:
    """A feature with every item of its template judged."""

    feature: FeatureView
    items: list[ItemState] = field(default_factory=list)

    def phase_items(self, phase: str) -> list[ItemState]:
        """The items of one phase, in template order."""
        return [i for i in self.items if i.phase == phase]

    def blocking(self, phase: str | None = None) -> list[ItemState]:
        """Required items of the phase (default: the current one) that are open."""
        return [i for i in self.phase_items(phase or self.feature.phase) if i.required and i.state == "open"]

    def counts(self, phase: str | None = None) -> dict[str, int]:
        """passed / open / waived counts of the phase's items (default: the current phase)."""
        items = self.phase_items(phase or self.feature.phase)
        return {s: sum(1 for i in items if i.state == s) for s in STATES}

    def release_blockers(self) -> list[ItemState]:
        """Required items open in any phase up to Testing & Integration: what keeps the feature out of its release."""
        upto = PHASE_KEYS[: PHASE_KEYS.index(RELEASE_READY) + 1]
        return [i for i in self.items if i.phase in upto and i.required and i.state == "open"]


def refusal(gates: FeatureGates) -> str:
    """Why the feature may not leave its phase, item by item with the numbers."""
    f = gates.feature
    lines = [f"Feature #{f.id} cannot leave {PHASE_NAMES[f.phase]}: {len(gates.blocking())} required item(s) open."]
    lines += [f"- {i.key} ({i.title}): {i.detail}" for i in gates.blocking()]
    return "\n".join(lines)


def checks_needed(items: list[dict[str, Any]], phases: set[str] | None) -> set[str]:
    """The data checks named by the template items of the given phases (all phases when None)."""
    return {i["check"] for i in items if i["kind"] == "data" and (phases is None or i["phase"] in phases)}


def judge(
    f: FeatureView,
    items: list[dict[str, Any]],
    words: list[GateSignOff],
    ev: Evidence,
    *,
    phases: set[str] | None = None,
) -> FeatureGates:
    """Judge the feature's template items (of the given phases, default all; never those before where it entered)
    against the evidence."""
    latest: dict[tuple[str, str], GateSignOff] = {}
    for w in words:
        latest[(w.item_key, w.kind)] = w  # oldest first: the last one stands
    out = FeatureGates(feature=f)
    for item in items:
        outside = phases is not None and item["phase"] not in phases
        if outside or skipped(item["phase"], entry=f.entry, current=f.phase):
            continue
        signed = latest.get((item["key"], "sign-off"))
        waived = latest.get((item["key"], "waiver"))
        if item["kind"] == "data":
            res: CheckResult = CHECKS[item["check"]](ev, f)
            passed, detail, links = res.passed, res.detail, res.links
        elif signed is not None:
            passed, links = True, ()
            detail = f"Signed off by {signed.actor} ({signed.role})" + (
                f": {signed.evidence}" if signed.evidence else ""
            )
        else:
            passed, links = False, ()
            detail = "Waiting for a sign-off" + (
                " with evidence (a link or a note)" if item.get("evidence_required") else ""
            )
        state = "passed" if passed else "waived" if waived is not None else "open"
        if state == "waived" and waived is not None:
            detail = f"Waived by {waived.actor}: {waived.evidence} (without the waiver: {detail})"
        out.items.append(
            ItemState(
                phase=item["phase"],
                key=item["key"],
                title=item["title"],
                required=bool(item["required"]),
                kind=item["kind"],
                state=state,
                detail=detail,
                evidence_required=bool(item.get("evidence_required")),
                check=item.get("check"),
                links=links,
                sign_off=Word.of(signed) if signed is not None else None,
                waiver=Word.of(waived) if waived is not None else None,
            )
        )
    return out

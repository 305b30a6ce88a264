"""SLOs as code: the difference between SLO files and the stored SLOs, and applying it.

Applying is idempotent: an SLO whose fields already match is left alone (no write, no audit record), so applying the
same files twice changes nothing the second time. Every change goes through the SLO service, so it is permission-
checked and audited and its burn-rate alert rules follow in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from services.auth import Actor, require
from services.errors import InvalidInput
from services.slos import repository as slo_repo
from services.slos import service as slo_service
from services.slos.schemas import SloInput

Action = Literal["create", "update", "unchanged", "delete"]
_MARK = {"create": "+ create", "update": "~ change", "unchanged": "= unchanged", "delete": "- delete"}


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Change:
    """What applying does to one SLO; for a change, each field as (field, stored value, file's value)."""

    action: Action
    name: str
    fields: tuple[tuple[str, Any, Any], ...] = ()
    slo_id: int | None = None

    def line(self) -> str:
        """The change in one line, e.g. "~ change 'mana availability': objective 99 → 99.5"."""
        head = f"{_MARK[self.action]} {self.name!r}"
        if self.action == "update":
            return head + ": " + "; ".join(f"{f} {_shown(old)} → {_shown(new)}" for f, old, new in self.fields)
        if self.action == "create":
            new = dict((f, v) for f, _, v in self.fields)
            return head + f": {new['kind']}, {new['objective']:g} % over {new['window_days']} days"
        return head


@dataclass(frozen=True)
class Plan:
    """Every SLO of the files (created, changed or unchanged) and, with prune, the stored ones they leave out."""

    changes: tuple[Change, ...]
    kept: int = 0  # stored SLOs the files leave out, kept because prune was not asked for

    def count(self, action: Action) -> int:
        """How many changes of one kind."""
        return sum(c.action == action for c in self.changes)

    @property
    def changes_anything(self) -> bool:
        """Whether applying writes anything."""
        return any(c.action != "unchanged" for c in self.changes)

    def summary(self, *, dry_run: bool) -> str:
        """The one-line confirmation."""
        n = {a: self.count(a) for a in ("create", "update", "unchanged", "delete")}
        kept = f"; {self.kept} stored SLO(s) not in the files kept (--prune deletes them)" if self.kept else ""
        if not self.changes_anything:
            return f"nothing to change: the {n['unchanged']} SLO(s) of the files already match{kept}"
        if dry_run:
            counts = (
                f"{n['create']} to create, {n['update']} to change, {n['unchanged']} unchanged, {n['delete']} to delete"
            )
            return f"dry run: {counts}{kept}; nothing was changed"
        counts = f"{n['create']} created, {n['update']} changed, {n['unchanged']} unchanged, {n['delete']} deleted"
        return f"applied: {counts}{kept}"


def plan_apply(session: Session, *, actor: Actor, wanted: list[SloInput], prune: bool = False) -> Plan:
    """What applying `wanted` would do, changing nothing (a dry run needs only read access)."""
    require(actor, "slo.read")
    seen: set[str] = set()
    for w in wanted:
        if w.name in seen:
            raise InvalidInput(f"SLO {w.name!r} is defined twice in the files; keep one definition.")
        seen.add(w.name)
    stored = {s.name: s for s in slo_repo.list_all(session)}
    changes = []
    for w in wanted:
        new = w.model_dump()
        slo = stored.get(w.name)
        if slo is None:
            changes.append(Change("create", w.name, tuple((k, None, v) for k, v in new.items())))
            continue
        old = slo.as_dict()
        diff = tuple((k, old[k], v) for k, v in new.items() if old[k] != v)
        changes.append(Change("update" if diff else "unchanged", w.name, diff, slo.id))
    gone = [s for name, s in stored.items() if name not in seen]
    if prune:
        changes += [Change("delete", s.name, slo_id=s.id) for s in gone]
    return Plan(tuple(changes), 0 if prune else len(gone))


def apply_slos(session: Session, *, actor: Actor, wanted: list[SloInput], prune: bool = False) -> Plan:
    """Make the stored SLOs match `wanted` in the caller's transaction: deletions (with prune) first, so their rule
    names are free, then changes, then new SLOs; each audited with its burn-rate rules."""
    plan = plan_apply(session, actor=actor, wanted=wanted, prune=prune)
    by_name = {w.name: w for w in wanted}
    for c in plan.changes:
        if c.action == "delete" and c.slo_id is not None:
            slo_service.delete_slo(session, actor=actor, slo_id=c.slo_id)
    for c in plan.changes:
        if c.action == "update" and c.slo_id is not None:
            slo_service.update_slo(session, actor=actor, slo_id=c.slo_id, data=by_name[c.name])
    for c in plan.changes:
        if c.action == "create":
            slo_service.create_slo(session, actor=actor, data=by_name[c.name])
    return plan

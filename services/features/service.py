"""Feature rules: create and edit, advance only through a passed gate, move back, sign off, waive, and the
versioned gate template; permissions and audit on every change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.auth import Actor, require, role_rank
from services.config import get_settings
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.features import repository as repo
from services.features.evidence import Evidence, gather
from services.features.gates import FeatureGates, checks_needed, judge, refusal
from services.features.models import Feature, FeatureMove, GateSignOff, GateTemplate
from services.features.phases import PHASE_NAMES, entry_phase, next_phase, previous_phase, sign_off_role
from services.features.schemas import FeatureInput
from services.features.template import validate_items
from services.features.views import FeatureView
from services.repository import check_version, flush_versioned, found_or_raise, get_or_raise
from services.telemetry.source import TelemetrySource

MAX_EVIDENCE = 2000


def _stale(feature_id: int, who: str) -> str:
    return f"Feature #{feature_id} was changed by {who} meanwhile (another move or edit); reload it and decide again."


def list_features(session: Session, *, actor: Actor, release: str | None = None) -> list[Feature]:
    """Every feature (of one release), in id order."""
    require(actor, "feature.read")
    return repo.list_features(session, release=release)


def get_feature(session: Session, *, actor: Actor, feature_id: int) -> Feature:
    """One feature, or NotFound."""
    require(actor, "feature.read")
    return get_or_raise(session, Feature, feature_id, missing=f"Feature #{feature_id} does not exist.")


def history(session: Session, *, actor: Actor, feature_id: int) -> list[FeatureMove]:
    """Where the feature entered and every move since, oldest first."""
    get_feature(session, actor=actor, feature_id=feature_id)
    return repo.moves(session, feature_id)


def sign_offs(session: Session, *, actor: Actor, feature_id: int) -> list[GateSignOff]:
    """The feature's sign-offs and waivers, oldest first."""
    get_feature(session, actor=actor, feature_id=feature_id)
    return repo.sign_offs(session, [feature_id]).get(feature_id, [])


def board_version(session: Session, *, actor: Actor) -> tuple[int, int, int]:
    """A value that changes with every change the board shows: how many features, the sum of their versions (a new
    feature, a move, an edit) and the newest sign-off or waiver; one query, for cache keys."""
    require(actor, "feature.read")
    return repo.board_version(session)


def releases(session: Session, *, actor: Actor) -> list[str]:
    """Every release some feature targets."""
    require(actor, "feature.read")
    return repo.releases(session)


def current_template(session: Session, *, actor: Actor) -> GateTemplate:
    """The newest gate template (version 1 is the team's, stored by the migration)."""
    require(actor, "feature.read")
    return found_or_raise(repo.latest_template(session), missing="No gate template: run `sre-backoffice db upgrade`.")


def list_templates(session: Session, *, actor: Actor) -> list[tuple[GateTemplate, int]]:
    """Every template version, newest first, with how many features use it."""
    require(actor, "feature.read")
    used = repo.features_on_template(session)
    return [(t, used.get(t.version, 0)) for t in repo.template_versions(session)]


def create_feature(session: Session, *, actor: Actor, data: FeatureInput) -> Feature:
    """A new feature at its entry kind's phase, on the current template; audited."""
    require(actor, "feature.create")
    template = current_template(session, actor=actor)
    phase = entry_phase(data.entry)
    f = Feature(
        **data.model_dump(),
        phase=phase,
        template_version=template.version,
        created_by=actor.name,
        updated_by=actor.name,
    )
    repo.add(session, f)
    repo.add(
        session,
        FeatureMove(feature_id=f.id, actor=actor.name, kind="entry", to_phase=phase, note=f"entered as a {data.entry}"),
    )
    audit.record(session, actor=actor, action="feature.create", entity="feature", entity_id=f.id, after=f.as_dict())
    return f


def update_feature(
    session: Session, *, actor: Actor, feature_id: int, data: FeatureInput, expected_version: int | None = None
) -> Feature:
    """Edit a feature's description, operations, release and links (its phase moves only by advance and back)."""
    require(actor, "feature.edit")
    f = get_feature(session, actor=actor, feature_id=feature_id)
    check_version(f.version, expected_version, stale=_stale(feature_id, f.updated_by or "someone else"))
    before = f.as_dict()
    for key, value in data.model_dump(exclude={"entry"}).items():
        setattr(f, key, value)
    f.updated_by = actor.name
    flush_versioned(session, f, stale=lambda who: _stale(feature_id, who))
    changed = {k: v for k, v in f.as_dict().items() if before[k] != v}
    if changed:
        audit.record(
            session,
            actor=actor,
            action="feature.update",
            entity="feature",
            entity_id=f.id,
            before={k: before[k] for k in changed},
            after=changed,
        )
    return f


def gates(
    session: Session,
    *,
    actor: Actor,
    source: TelemetrySource,
    feature_ids: list[int] | None = None,
    at: datetime | None = None,
    current_phase_only: bool = False,
    phases: set[str] | None = None,
) -> tuple[list[FeatureGates], Evidence]:
    """Judge the features' gates (all features when no ids are given) with one gathering of evidence: every item of
    every phase, only the current phase's (the board), or the given phases (a release)."""
    require(actor, "feature.read")
    at = (at or datetime.now(UTC)).astimezone(UTC)
    rows = (
        repo.list_features(session)
        if feature_ids is None
        else [get_feature(session, actor=actor, feature_id=i) for i in feature_ids]
    )
    views = [FeatureView.of(f) for f in rows]
    templates = repo.templates(session, {v.template_version for v in views})
    scope = {v.id: ({v.phase} if current_phase_only else phases) for v in views}
    needed = {v.id: checks_needed(templates[v.template_version].items, scope[v.id]) for v in views}
    ev = gather(session, source, views, actor=actor, at=at, checks=needed, loadtest_root=get_settings().loadtests.dir)
    words = repo.sign_offs(session, [v.id for v in views])
    judged = [judge(v, templates[v.template_version].items, words.get(v.id, []), ev, phases=scope[v.id]) for v in views]
    return judged, ev


def advance(
    session: Session,
    *,
    actor: Actor,
    source: TelemetrySource,
    feature_id: int,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Feature:
    """Move the feature to the next phase when every required item of its phase is passed or waived; otherwise
    Conflict with the open items and why."""
    require(actor, "feature.move")
    f = get_feature(session, actor=actor, feature_id=feature_id)
    check_version(f.version, expected_version, stale=_stale(feature_id, f.updated_by or "someone else"))
    to = next_phase(f.phase)
    if to is None:
        raise Conflict(f"Feature #{f.id} is in Maintenance, the last phase; there is nowhere to advance it to.")
    judged, _ = gates(session, actor=actor, source=source, feature_ids=[f.id], at=at, current_phase_only=True)
    if judged[0].blocking():
        raise Conflict(refusal(judged[0]))
    waived = [i.key for i in judged[0].phase_items(f.phase) if i.state == "waived"]
    return _move(session, actor, f, to, "advance", "waived: " + ", ".join(waived) if waived else "")


def move_back(
    session: Session, *, actor: Actor, feature_id: int, reason: str = "", expected_version: int | None = None
) -> Feature:
    """Move the feature one phase back (always allowed, recorded with the reason)."""
    require(actor, "feature.move")
    f = get_feature(session, actor=actor, feature_id=feature_id)
    check_version(f.version, expected_version, stale=_stale(feature_id, f.updated_by or "someone else"))
    to = previous_phase(f.phase)
    if to is None:
        raise Conflict(f"Feature #{f.id} is in Planning, the first phase; there is nowhere to move it back to.")
    return _move(session, actor, f, to, "back", reason.strip()[:MAX_EVIDENCE])


def _move(session: Session, actor: Actor, f: Feature, to: str, kind: str, note: str) -> Feature:
    before, fid = f.phase, f.id  # f is not readable once its flush failed
    f.phase = to
    f.updated_by = actor.name
    flush_versioned(session, f, stale=lambda who: _stale(fid, who))
    repo.add(
        session, FeatureMove(feature_id=f.id, actor=actor.name, kind=kind, from_phase=before, to_phase=to, note=note)
    )
    audit.record(
        session,
        actor=actor,
        action=f"feature.{kind}",
        entity="feature",
        entity_id=f.id,
        before={"phase": before},
        after={"phase": to, **({"note": note} if note else {})},
    )
    return f


def _item(session: Session, f: Feature, item_key: str) -> dict[str, Any]:
    template = repo.template(session, f.template_version)
    items = template.items if template else []
    item = next((i for i in items if i["key"] == item_key), None)
    if item is None:
        keys = ", ".join(i["key"] for i in items)
        raise NotFound(
            f"Feature #{f.id}'s gate template (version {f.template_version}) has no item {item_key!r}; items: {keys}."
        )
    return item


def _word(session: Session, actor: Actor, f: Feature, item: dict[str, Any], kind: str, text: str) -> GateSignOff:
    row = GateSignOff(
        feature_id=f.id, item_key=item["key"], kind=kind, actor=actor.name, role=actor.role, evidence=text
    )
    repo.add(session, row)
    audit.record(
        session,
        actor=actor,
        action="feature.sign_off" if kind == "sign-off" else "feature.waive",
        entity="feature",
        entity_id=f.id,
        after={"item": item["key"], "text": text},
    )
    return row


def _existing(session: Session, f: Feature, key: str, kind: str) -> GateSignOff | None:
    return next(
        (w for w in repo.sign_offs(session, [f.id]).get(f.id, []) if w.item_key == key and w.kind == kind), None
    )


def sign_off(session: Session, *, actor: Actor, feature_id: int, item_key: str, evidence: str = "") -> GateSignOff:
    """Sign off one sign-off item: developers for Implementation, operators for Testing & Integration, leads for
    anything; evidence (a link or a note) where the template asks for it."""
    require(actor, "gate.sign_off")
    f = get_feature(session, actor=actor, feature_id=feature_id)
    item = _item(session, f, item_key)
    if item["kind"] == "data":
        raise InvalidInput(
            f"{item_key!r} is checked from data, not signed off: it passes when "
            "the data says so, or a lead waives it with a reason."
        )
    needed = sign_off_role(item["phase"])
    if role_rank(actor.role) < role_rank(needed):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not sign off a {PHASE_NAMES[item['phase']]} item: "
            f"it needs the {needed} role."
        )
    evidence = evidence.strip()
    if item.get("evidence_required") and not evidence:
        raise InvalidInput(f"{item_key!r} needs evidence: give a link (pipeline run, report) or a note.")
    if len(evidence) > MAX_EVIDENCE:
        raise InvalidInput(f"Evidence is at most {MAX_EVIDENCE} characters; link to a longer report instead.")
    done = _existing(session, f, item_key, "sign-off")
    if done is not None:
        raise Conflict(f"{item_key!r} was signed off by {done.actor} already.")
    return _word(session, actor, f, item, "sign-off", evidence)


def waive(session: Session, *, actor: Actor, feature_id: int, item_key: str, reason: str) -> GateSignOff:
    """A lead waives one item with a reason; the waiver stays on the feature for good."""
    require(actor, "gate.waive")
    f = get_feature(session, actor=actor, feature_id=feature_id)
    item = _item(session, f, item_key)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("A waiver needs a reason: say why the feature may go on without this item.")
    if len(reason) > MAX_EVIDENCE:
        raise InvalidInput(f"A reason is at most {MAX_EVIDENCE} characters.")
    done = _existing(session, f, item_key, "waiver")
    if done is not None:
        raise Conflict(f"{item_key!r} was waived by {done.actor} already: {done.evidence}")
    return _word(session, actor, f, item, "waiver", reason)


def save_template(
    session: Session, *, actor: Actor, items: list[dict[str, Any]], note: str = "", expected_version: int | None = None
) -> GateTemplate:
    """A lead's edit of the checklist becomes a new template version; features keep the version they started on."""
    require(actor, "gate.template_edit")
    current = current_template(session, actor=actor)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            f"The gate template is at version {current.version} now ({current.created_by} saved it "
            "meanwhile); reload and edit again."
        )
    stored = validate_items(items)
    if stored == current.items:
        raise InvalidInput("Nothing changed: the template is the same as version " + str(current.version) + ".")
    new = GateTemplate(version=current.version + 1, items=stored, note=note.strip()[:500], created_by=actor.name)
    try:
        with session.begin_nested():
            repo.add(session, new)
    except IntegrityError:  # the same version saved by another lead at the same moment
        raise Conflict("Another lead saved the gate template at the same moment; reload and edit again.") from None
    before = {i["key"] for i in current.items}
    after = {i["key"] for i in stored}
    audit.record(
        session,
        actor=actor,
        action="gate_template.create",
        entity="gate_template",
        entity_id=new.version,
        before={"version": current.version, "removed": sorted(before - after)},
        after={"version": new.version, "added": sorted(after - before), "items": stored},
    )
    return new

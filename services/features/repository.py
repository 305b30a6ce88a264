"""Feature, move, sign-off and gate-template queries."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.features.models import Feature, FeatureMove, GateSignOff, GateTemplate


def add(session: Session, row: Feature | FeatureMove | GateSignOff | GateTemplate) -> None:
    """Add a row and flush it for its id."""
    session.add(row)
    session.flush()


def get(session: Session, feature_id: int) -> Feature | None:
    """One feature by id."""
    return session.get(Feature, feature_id)


def list_features(session: Session, *, release: str | None = None) -> list[Feature]:
    """Features in id order, optionally only those of one release."""
    q = select(Feature).order_by(Feature.id)
    if release is not None:
        q = q.where(Feature.release == release)
    return list(session.scalars(q))


def board_version(session: Session) -> tuple[int, int, int]:
    """(feature count, sum of feature versions, newest sign-off id): changes with every feature change."""
    newest = select(func.coalesce(func.max(GateSignOff.id), 0)).scalar_subquery()
    row = session.execute(select(func.count(Feature.id), func.coalesce(func.sum(Feature.version), 0), newest)).one()
    return int(row[0]), int(row[1]), int(row[2])


def releases(session: Session) -> list[str]:
    """Every target release some feature names, in version-text order."""
    q = select(Feature.release).where(Feature.release.is_not(None)).distinct().order_by(Feature.release)
    return [r for r in session.scalars(q) if r]


def moves(session: Session, feature_id: int) -> list[FeatureMove]:
    """A feature's history, oldest first."""
    q = select(FeatureMove).where(FeatureMove.feature_id == feature_id).order_by(FeatureMove.id)
    return list(session.scalars(q))


def sign_offs(session: Session, feature_ids: list[int]) -> dict[int, list[GateSignOff]]:
    """Every sign-off and waiver of the given features, oldest first, by feature."""
    out: dict[int, list[GateSignOff]] = defaultdict(list)
    if not feature_ids:
        return out
    q = select(GateSignOff).where(GateSignOff.feature_id.in_(feature_ids)).order_by(GateSignOff.id)
    for row in session.scalars(q):
        out[row.feature_id].append(row)
    return out


def latest_template(session: Session) -> GateTemplate | None:
    """The newest gate template version."""
    return session.scalars(select(GateTemplate).order_by(GateTemplate.version.desc()).limit(1)).first()


def template(session: Session, version: int) -> GateTemplate | None:
    """One gate template version."""
    return session.get(GateTemplate, version)


def templates(session: Session, versions: set[int]) -> dict[int, GateTemplate]:
    """The given template versions, by version."""
    if not versions:
        return {}
    return {t.version: t for t in session.scalars(select(GateTemplate).where(GateTemplate.version.in_(versions)))}


def template_versions(session: Session) -> list[GateTemplate]:
    """Every template version, newest first."""
    return list(session.scalars(select(GateTemplate).order_by(GateTemplate.version.desc())))


def features_on_template(session: Session) -> dict[int, int]:
    """How many features use each template version."""
    q = select(Feature.template_version, func.count()).group_by(Feature.template_version)
    return {int(v): int(n) for v, n in session.execute(q)}

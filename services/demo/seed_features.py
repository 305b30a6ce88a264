"""The demo's features: a handful of mana features spread over the phases, driven there through the real gates
(sign-offs, and a lead's waiver wherever the demo data cannot pass an item), plus the sample k6 run of release
2026.12.1, which makes that release no-go for a reason a user can see (GET /api/orders fails one request in four),
and unit and integration test runs of three releases (one flaky test, one regression in 2026.12.2)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services.auth import Actor
from services.features import service as features
from services.features.phases import PHASE_KEYS
from services.features.schemas import parse_feature_input
from services.loadtests import service as loadtests
from services.loadtests.schemas import InputFile, parse_import_options
from services.telemetry.source import TelemetrySource
from services.testruns import service as testruns
from services.testruns.schemas import parse_run_options

K6_DIR = Path(__file__).with_name("k6")
TESTRUN_DIR = Path(__file__).with_name("testruns")
# (file, kind, release, commit): pytest's real JUnit output, see testruns/README.md
TEST_RUNS = (
    ("unit-2026.11.5.xml", "unit", "2026.11.5", "4be1f07"),
    ("integration-2026.11.5.xml", "integration", "2026.11.5", "4be1f07"),
    ("unit-2026.12.1-a.xml", "unit", "2026.12.1", "9c3d2a1"),
    ("unit-2026.12.1-b.xml", "unit", "2026.12.1", "9c3d2a1"),
    ("integration-2026.12.1.xml", "integration", "2026.12.1", "9c3d2a1"),
    ("integration-2026.12.2.xml", "integration", "2026.12.2", "e71b5c0"),
)
RELEASE = "2026.12.1"
NEXT_RELEASE = "2026.12.2"
EVIDENCE = "https://dev.azure.com/mana/mana-api/_build/results?buildId=4711"

# (feature fields, the phase the demo drives it to)
FEATURES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "title": "Shop search filters",
            "operations": ["GET /api/shops"],
            "release": RELEASE,
            "service_slos_cover": True,
            "owner": "nok",
        },
        "testing",
    ),
    (
        {
            "title": "Order history paging",
            "operations": ["GET /api/orders"],
            "release": RELEASE,
            "service_slos_cover": True,
            "owner": "somchai",
        },
        "testing",
    ),
    (
        {
            "title": "Order confirmation e-mail",
            "operations": ["POST /api/orders"],
            "release": RELEASE,
            "entry": "pull-request",
            "service_slos_cover": True,
            "owner": "ploy",
        },
        "implementation",
    ),
    (
        {
            "title": "DOPA identity re-verification",
            "operations": ["POST /api/identity/dopa-verify"],
            "release": NEXT_RELEASE,
            "owner": "nok",
        },
        "design",
    ),
    (
        {
            "title": "Payments callback retries",
            "operations": ["POST /api/payments/callback"],
            "release": NEXT_RELEASE,
            "owner": "somchai",
        },
        "analysis",
    ),
    (
        {
            "title": "Login lockout after failed attempts",
            "operations": ["POST /api/auth/login"],
            "release": "2026.11.5",
            "service_slos_cover": True,
            "owner": "ploy",
        },
        "maintenance",
    ),
]


def import_sample_run(session: Session, *, actor: Actor, service: str, root: Path) -> int:
    """The sample k6 run (4 s, up to 3 VUs), tagged with the demo release; its id."""
    files = [InputFile(K6_DIR / n, n) for n in ("summary.json", "out.ndjson.gz")]
    options = parse_import_options({"service": service, "label": "demo: ramp to 3 VUs", "git_ref": RELEASE})
    return loadtests.import_run(session, actor=actor, files=files, options=options, root=root).id


def import_capacity_ramp(session: Session, *, actor: Actor, service: str, root: Path) -> int:
    """The capacity ramp (three minutes, 5 to 110 requests a second, past the knee; services/demo/k6/capacity), for
    the Capacity plan. Tagged with no release, so no gate judges a release by it; its id."""
    files = [InputFile(K6_DIR / "capacity" / n, n) for n in ("summary.json", "out.ndjson.gz")]
    options = parse_import_options({"service": service, "label": "demo: capacity ramp to 110 req/s"})
    return loadtests.import_run(session, actor=actor, files=files, options=options, root=root).id


def import_test_runs(session: Session, *, actor: Actor, service: str) -> list[int]:
    """The demo's unit and integration test runs, oldest first; their ids."""
    ids = []
    for name, kind, release, commit in TEST_RUNS:
        options = parse_run_options(
            {"service": service, "kind": kind, "release": release, "commit": commit, "branch": "main"}
        )
        run = testruns.import_run(
            session, actor=actor, files=[(name, TESTRUN_DIR / name)], options=options, max_bytes=1 << 20
        )
        ids.append(run.id)
    return ids


def _drive(session: Session, actor: Actor, source: TelemetrySource, feature_id: int, to: str, at: datetime) -> None:
    """Sign off and advance phase by phase; an item the demo data cannot pass is waived, saying so."""
    while True:
        f = features.get_feature(session, actor=actor, feature_id=feature_id)
        if PHASE_KEYS.index(f.phase) >= PHASE_KEYS.index(to):
            return
        judged, _ = features.gates(
            session, actor=actor, source=source, feature_ids=[f.id], at=at, current_phase_only=True
        )
        for item in judged[0].blocking():
            if item.kind == "sign-off":
                features.sign_off(session, actor=actor, feature_id=f.id, item_key=item.key, evidence=EVIDENCE)
            else:
                reason = f"demo seed: moved on to show a later phase ({item.detail[:300]})"
                features.waive(session, actor=actor, feature_id=f.id, item_key=item.key, reason=reason)
        features.advance(session, actor=actor, source=source, feature_id=f.id, at=at)


def seed_demo_features(
    session: Session, *, actor: Actor, source: TelemetrySource, service: str, loadtest_root: Path, at: datetime
) -> int:
    """Create the demo features (only when there are none) and drive each to its phase; how many were created."""
    if features.list_features(session, actor=actor):
        return 0
    import_sample_run(session, actor=actor, service=service, root=loadtest_root)
    import_test_runs(session, actor=actor, service=service)
    for fields, phase in FEATURES:
        f = features.create_feature(session, actor=actor, data=parse_feature_input({"service": service, **fields}))
        _drive(session, actor, source, f.id, phase, at)
    # the two features at Testing & Integration: the security test signed off, so only the data decides
    for f in features.list_features(session, actor=actor, release=RELEASE):
        if f.phase == "testing":
            features.sign_off(session, actor=actor, feature_id=f.id, item_key="testing.security", evidence=EVIDENCE)
    import_capacity_ramp(session, actor=actor, service=service, root=loadtest_root)  # after the gates were judged
    return len(FEATURES)

"""features, their phase moves, sign-offs and waivers, and the versioned gate template (version 1: the team's)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the team's checklist as it stood when this migration was written (services/features/template.py DEFAULT_ITEMS);
# later edits are new versions made on the Gate template page
FIRST_TEMPLATE = [
    {
        "key": "planning.scope",
        "phase": "planning",
        "title": "Scope, owner and target release agreed",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "analysis.requirements",
        "phase": "analysis",
        "title": "Requirements and concepts written",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": True,
    },
    {
        "key": "design.ui",
        "phase": "design",
        "title": "UI wireframe and UI design demoed",
        "kind": "sign-off",
        "check": None,
        "required": False,
        "evidence_required": False,
    },
    {
        "key": "design.interfaces",
        "phase": "design",
        "title": "Interfaces, APIs and components designed",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": True,
    },
    {
        "key": "design.scenarios",
        "phase": "design",
        "title": "Scenarios written",
        "kind": "sign-off",
        "check": None,
        "required": False,
        "evidence_required": False,
    },
    {
        "key": "design.monitoring",
        "phase": "design",
        "title": "Monitoring designed: the metrics and log data the feature emits",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "design.slo",
        "phase": "design",
        "title": "An SLO covers each operation",
        "kind": "data",
        "check": "slo_covers_operations",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "design.alert",
        "phase": "design",
        "title": "Incident Response designed: an alert rule watches it",
        "kind": "data",
        "check": "alert_watches",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "implementation.pilot",
        "phase": "implementation",
        "title": "Pilot technique tried",
        "kind": "sign-off",
        "check": None,
        "required": False,
        "evidence_required": False,
    },
    {
        "key": "implementation.unit_tests",
        "phase": "implementation",
        "title": "Unit tests passed",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": True,
    },
    {
        "key": "implementation.integration_tests",
        "phase": "implementation",
        "title": "Integration tests passed",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": True,
    },
    {
        "key": "implementation.telemetry",
        "phase": "implementation",
        "title": "Operations seen in telemetry",
        "kind": "data",
        "check": "operations_in_telemetry",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "implementation.exceptions",
        "phase": "implementation",
        "title": "No new exception types",
        "kind": "data",
        "check": "no_new_exceptions",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "testing.load_test",
        "phase": "testing",
        "title": "Performance test: a k6 run meets the SLOs",
        "kind": "data",
        "check": "load_test_meets_slos",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "testing.security",
        "phase": "testing",
        "title": "Security test passed",
        "kind": "sign-off",
        "check": None,
        "required": True,
        "evidence_required": True,
    },
    {
        "key": "testing.alert_backtest",
        "phase": "testing",
        "title": "Alert rules quiet over the last 7 days",
        "kind": "data",
        "check": "alert_backtest_quiet",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "maintenance.slo",
        "phase": "maintenance",
        "title": "Within SLO since release",
        "kind": "data",
        "check": "within_slo_since_release",
        "required": True,
        "evidence_required": False,
    },
    {
        "key": "maintenance.incidents",
        "phase": "maintenance",
        "title": "No open incidents",
        "kind": "data",
        "check": "no_open_incidents",
        "required": False,
        "evidence_required": False,
    },
    {
        "key": "maintenance.postmortems",
        "phase": "maintenance",
        "title": "Postmortems linked",
        "kind": "data",
        "check": "postmortems_linked",
        "required": False,
        "evidence_required": False,
    },
]


def upgrade() -> None:
    template = op.create_table(
        "gate_template",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_gate_template")),
    )
    op.create_table(
        "feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("service_slos_cover", sa.Boolean(), nullable=False),
        sa.Column("release", sa.String(length=50), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("work_item_url", sa.String(length=500), nullable=True),
        sa.Column("pull_request_url", sa.String(length=500), nullable=True),
        sa.Column("entry", sa.String(length=30), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "phase IN ('planning', 'analysis', 'design', 'implementation', 'testing', 'maintenance')",
            name=op.f("ck_feature_phase_known"),
        ),
        sa.ForeignKeyConstraint(
            ["template_version"], ["gate_template.version"], name=op.f("fk_feature_template_version_gate_template")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature")),
    )
    op.create_index(op.f("ix_feature_phase"), "feature", ["phase"], unique=False)
    op.create_index(op.f("ix_feature_release"), "feature", ["release"], unique=False)
    op.create_index(op.f("ix_feature_service"), "feature", ["service"], unique=False)
    op.create_table(
        "feature_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_phase", sa.String(length=20), nullable=True),
        sa.Column("to_phase", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"], ["feature.id"], name=op.f("fk_feature_move_feature_id_feature"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_move")),
    )
    op.create_index(op.f("ix_feature_move_feature_id"), "feature_move", ["feature_id"], unique=False)
    op.create_table(
        "gate_sign_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('sign-off', 'waiver')", name=op.f("ck_gate_sign_off_kind_known")),
        sa.ForeignKeyConstraint(
            ["feature_id"], ["feature.id"], name=op.f("fk_gate_sign_off_feature_id_feature"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_sign_off")),
    )
    op.create_index(op.f("ix_gate_sign_off_feature_id"), "gate_sign_off", ["feature_id"], unique=False)
    op.bulk_insert(
        template,
        [
            {
                "version": 1,
                "items": FIRST_TEMPLATE,
                "note": "the team's process notes",
                "created_at": datetime(2026, 12, 2, tzinfo=UTC),
                "created_by": "migration",
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("gate_sign_off")
    op.drop_table("feature_move")
    op.drop_table("feature")
    op.drop_table("gate_template")

"""slo and audit

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_record_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_at"), ["at"], unique=False)

    op.create_table(
        "slo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=400), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("threshold_ms", sa.Float(), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('availability', 'latency')", name=op.f("ck_slo_kind_known")),
        sa.CheckConstraint("objective > 0 AND objective < 100", name=op.f("ck_slo_objective_range")),
        sa.CheckConstraint("window_days IN (7, 28, 30)", name=op.f("ck_slo_window_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo")),
        sa.UniqueConstraint("name", name=op.f("uq_slo_name")),
    )


def downgrade() -> None:

    op.drop_table("slo")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_record_at"))
        batch_op.drop_index(batch_op.f("ix_audit_record_action"))

    op.drop_table("audit_record")

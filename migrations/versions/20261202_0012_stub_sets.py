"""WireMock stub sets for a dependency, each version kept whole

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stub_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stub_set")),
        sa.UniqueConstraint("name", name=op.f("uq_stub_set_name")),
    )
    op.create_table(
        "stub_set_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("mappings", sa.JSON(), nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("origin IN ('telemetry', 'upload', 'edit')", name=op.f("ck_stub_set_version_origin_known")),
        sa.ForeignKeyConstraint(
            ["set_id"], ["stub_set.id"], name=op.f("fk_stub_set_version_set_id_stub_set"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stub_set_version")),
        sa.UniqueConstraint("set_id", "version", name="uq_stub_set_version_set_version"),
    )
    op.create_index(op.f("ix_stub_set_version_set_id"), "stub_set_version", ["set_id"], unique=False)


def downgrade() -> None:
    op.drop_table("stub_set_version")
    op.drop_table("stub_set")

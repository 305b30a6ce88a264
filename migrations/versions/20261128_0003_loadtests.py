"""load tests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loadtest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("git_ref", sa.String(length=200), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("failed_requests", sa.Integer(), nullable=True),
        sa.Column("failure_rate", sa.Float(), nullable=True),
        sa.Column("rps", sa.Float(), nullable=True),
        sa.Column("peak_rps", sa.Float(), nullable=True),
        sa.Column("duration_avg_ms", sa.Float(), nullable=True),
        sa.Column("duration_min_ms", sa.Float(), nullable=True),
        sa.Column("duration_med_ms", sa.Float(), nullable=True),
        sa.Column("duration_max_ms", sa.Float(), nullable=True),
        sa.Column("duration_p90_ms", sa.Float(), nullable=True),
        sa.Column("duration_p95_ms", sa.Float(), nullable=True),
        sa.Column("duration_p99_ms", sa.Float(), nullable=True),
        sa.Column("iterations", sa.Integer(), nullable=True),
        sa.Column("vus_max", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("points_file", sa.String(length=300), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loadtest_run")),
    )
    with op.batch_alter_table("loadtest_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loadtest_run_service"), ["service"], unique=False)
        batch_op.create_index(batch_op.f("ix_loadtest_run_imported_at"), ["imported_at"], unique=False)

    for table, columns in (
        (
            "loadtest_threshold",
            [
                sa.Column("metric", sa.String(length=400), nullable=False),
                sa.Column("expression", sa.String(length=400), nullable=False),
                sa.Column("ok", sa.Boolean(), nullable=True),
                sa.Column("observed", sa.Float(), nullable=True),
                sa.Column("source", sa.String(length=20), nullable=False),
            ],
        ),
        (
            "loadtest_check",
            [
                sa.Column("name", sa.String(length=400), nullable=False),
                sa.Column("passes", sa.Integer(), nullable=False),
                sa.Column("fails", sa.Integer(), nullable=False),
            ],
        ),
        (
            "loadtest_endpoint",
            [
                sa.Column("name", sa.String(length=400), nullable=False),
                sa.Column("requests", sa.Integer(), nullable=False),
                sa.Column("failures", sa.Integer(), nullable=False),
                sa.Column("failure_rate", sa.Float(), nullable=False),
                sa.Column("avg_ms", sa.Float(), nullable=True),
                sa.Column("p95_ms", sa.Float(), nullable=True),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("run_id", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["run_id"], ["loadtest_run.id"], name=op.f(f"fk_{table}_run_id_loadtest_run"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    for table in ("loadtest_endpoint", "loadtest_check", "loadtest_threshold"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_run_id"))
        op.drop_table(table)
    with op.batch_alter_table("loadtest_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loadtest_run_imported_at"))
        batch_op.drop_index(batch_op.f("ix_loadtest_run_service"))
    op.drop_table("loadtest_run")

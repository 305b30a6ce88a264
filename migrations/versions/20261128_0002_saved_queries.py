"""saved queries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_query")),
        sa.UniqueConstraint("owner", "name", name="uq_saved_query_owner_name"),
    )
    with op.batch_alter_table("saved_query", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_query_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_query_owner"))
    op.drop_table("saved_query")

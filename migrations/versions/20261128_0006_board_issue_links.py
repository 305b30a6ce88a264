"""board issue links

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board_issue_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("marker", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_board_issue_link_incident_id_incident"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_issue_link")),
        sa.UniqueConstraint("incident_id", "purpose", name="uq_board_issue_link_incident_purpose"),
        sa.UniqueConstraint("marker", name=op.f("uq_board_issue_link_marker")),
    )
    with op.batch_alter_table("board_issue_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_issue_link_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("board_issue_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_issue_link_incident_id"))

    op.drop_table("board_issue_link")

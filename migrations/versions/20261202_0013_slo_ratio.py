"""ratio SLOs: an SLO of kind 'ratio' counts the rows of its own KQL queries (good or bad, and total)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATIO_QUERIES = "kind <> 'ratio' OR (total_query IS NOT NULL AND (good_query IS NULL) <> (bad_query IS NULL))"


def upgrade() -> None:
    with op.batch_alter_table("slo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("good_query", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bad_query", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("total_query", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f("ck_slo_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_slo_kind_known"), "kind IN ('availability', 'latency', 'ratio')")
        batch_op.create_check_constraint(op.f("ck_slo_ratio_queries"), RATIO_QUERIES)


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT count(*) FROM slo WHERE kind = 'ratio'")).scalar():
        raise RuntimeError("Ratio SLOs exist: delete them first (`sre-backoffice slo delete NAME`), then downgrade.")
    with op.batch_alter_table("slo", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_slo_ratio_queries"), type_="check")
        batch_op.drop_constraint(op.f("ck_slo_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_slo_kind_known"), "kind IN ('availability', 'latency')")
        batch_op.drop_column("total_query")
        batch_op.drop_column("bad_query")
        batch_op.drop_column("good_query")

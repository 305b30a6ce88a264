"""audit chain: the operating-system user, and each record's previous hash and own hash; existing records chained

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
# PostgreSQL: one round trip for the writer's claim on the chain. The advisory lock is held until the transaction
# ends; the statements after it take a new snapshot (plpgsql, volatile), so they read the head the last writer
# committed, and the id comes from the column's sequence after the lock, so ids grow in chain order.
CLAIM = """
CREATE OR REPLACE FUNCTION audit_chain_claim(OUT next_id bigint, OUT head_hash text) VOLATILE LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(6003937400144021844);  -- "SREAUDIT" in hex: any constant will do
    next_id := nextval(pg_get_serial_sequence('audit_record', 'id'));
    SELECT hash INTO head_hash FROM audit_record ORDER BY id DESC LIMIT 1;
END $$
"""
HASHED = ("id", "at", "actor", "role", "os_user", "action", "entity", "entity_id", "before", "after")


def _hash(prev_hash: str, row: sa.Row) -> str:
    # the same rule as services.audit.record_hash, frozen here as it was when these rows were chained
    values = {f: getattr(row, f) for f in HASHED}
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite hands the stored UTC back naive
    values["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("os_user", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    records = sa.table(
        "audit_record",
        *(sa.column(c) for c in HASHED if c not in ("at", "before", "after")),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    conn = op.get_bind()
    prev = GENESIS
    for row in conn.execute(sa.select(records).order_by(records.c.id)).all():
        own = _hash(prev, row)
        conn.execute(sa.update(records).where(records.c.id == row.id).values(prev_hash=prev, hash=own))
        prev = own

    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    if conn.dialect.name == "postgresql":
        op.execute(CLAIM)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_claim()")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("os_user")

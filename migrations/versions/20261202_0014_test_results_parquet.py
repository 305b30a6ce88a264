"""a test run's results move from the test_result table to one Parquet file per run (SRE_TESTRUN_DIR)

Each run's rows are written, in their import order, to <SRE_TESTRUN_DIR>/run-<id>-<token>.parquet (a hidden name
first, flushed, then renamed into place) and the run names its file; then the table is dropped. Should the migration
fail, nothing names the files it wrote, and the next import removes them after an hour (services/testruns/storage.py).
Self-contained: the file format is spelled out here as it was on this date.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from alembic import op

from services.config import get_settings

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("test_key", "suite", "classname", "name", "outcome", "duration_s", "message", "stack")
SCHEMA = pa.schema([(c, pa.float64() if c == "duration_s" else pa.string()) for c in COLUMNS])
RUN = sa.table("test_run", sa.column("id", sa.Integer), sa.column("results_file", sa.String))
RESULT = sa.table(
    "test_result",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    *(sa.column(c, sa.Float if c == "duration_s" else sa.String) for c in COLUMNS),
)


def _write(folder: Path, run_id: int, rows: Sequence[Sequence[object]]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"run-{run_id}-{uuid.uuid4().hex[:16]}.parquet"
    staged = folder / f".run-{uuid.uuid4().hex}.parquet"
    columns = {c: [row[i] for row in rows] for i, c in enumerate(COLUMNS)}
    pq.write_table(pa.Table.from_pydict(columns, schema=SCHEMA), staged, compression="zstd")
    with open(staged, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(staged, folder / name)
    return name


def upgrade() -> None:
    op.add_column("test_run", sa.Column("results_file", sa.String(length=300), nullable=True))
    bind = op.get_bind()
    folder = get_settings().testruns.dir
    for run_id in list(bind.execute(sa.select(RUN.c.id).order_by(RUN.c.id)).scalars()):
        rows = bind.execute(
            sa.select(*(RESULT.c[c] for c in COLUMNS)).where(RESULT.c.run_id == run_id).order_by(RESULT.c.id)
        ).all()
        name = _write(folder, run_id, rows)
        bind.execute(sa.update(RUN).where(RUN.c.id == run_id).values(results_file=name))
    if folder.exists():
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)  # the renames are on disk before the runs naming the files are committed
        finally:
            os.close(fd)
    op.drop_table("test_result")


def downgrade() -> None:
    op.create_table(
        "test_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("test_key", sa.String(length=1000), nullable=False),
        sa.Column("suite", sa.String(length=500), nullable=False),
        sa.Column("classname", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("stack", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('passed', 'failed', 'error', 'skipped')", name=op.f("ck_test_result_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["test_run.id"], name=op.f("fk_test_result_run_id_test_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_result")),
    )
    op.create_index(op.f("ix_test_result_run_id"), "test_result", ["run_id"], unique=False)
    op.create_index("ix_test_result_test_key", "test_result", ["test_key"], unique=False)
    bind = op.get_bind()
    folder = get_settings().testruns.dir
    widths = {"test_key": 1000, "suite": 500, "classname": 500, "name": 1000}  # the table's, as 0011 made it
    for run_id, name in bind.execute(sa.select(RUN.c.id, RUN.c.results_file).order_by(RUN.c.id)).all():
        path = folder / name if name else None
        if path is None or not path.exists():
            continue  # a run whose file went missing keeps its figures, without results
        rows = pq.read_table(path, columns=list(COLUMNS)).to_pylist()
        for row in rows:
            row.update({c: (row[c] or "")[:w] for c, w in widths.items()}, run_id=run_id)
        if rows:
            bind.execute(sa.insert(RESULT), rows)
    with op.batch_alter_table("test_run") as batch:
        batch.drop_column("results_file")

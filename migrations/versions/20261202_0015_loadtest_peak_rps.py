"""a load-test run's peak_rps recomputed from its points file with the definition production uses

Until 2026-12-02 a run's peak RPS was its busiest single second; since then it is the busiest whole minute's requests
/ 60 (minutes counted from the run's first point; a run shorter than a minute: its requests / its duration, at least
1 s), as services.monitoring.figures defines production's peak. Runs stored before that keep the old figure until
this migration recomputes it from the points each run keeps in <SRE_LOADTEST_DIR>/<points_file>. A run without a
points file (a summary-only import) or whose file is gone keeps its stored value, as before; the count of each kind is
printed. Self-contained: the points file's columns (metric, time, value) and the definition are spelled out here as
they were on this date. Downgrade leaves the figures as they are: the old ones cannot be rebuilt and are not wanted.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import sqlalchemy as sa
from alembic import op

from services.config import get_settings

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN = sa.table(
    "loadtest_run", sa.column("id", sa.Integer), sa.column("points_file", sa.String), sa.column("peak_rps", sa.Float)
)


def peak_rps(con: duckdb.DuckDBPyConnection, path: Path) -> float | None:
    """The busiest whole minute's http_reqs / 60 from the first point on (a run under a minute: requests / duration)."""
    pts = "read_parquet($path)"
    first, last = con.execute(f'SELECT min("time"), max("time") FROM {pts}', {"path": str(path)}).fetchone() or (
        None,
        None,
    )
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return None
    span = (last - first).total_seconds()
    if span < 60:
        n = con.execute(f"SELECT count(*) FROM {pts} WHERE metric = 'http_reqs'", {"path": str(path)}).fetchone()
        return float(n[0]) / max(span, 1.0) if n and n[0] else None
    row = con.execute(
        f"SELECT max(n) FROM (SELECT count(*) AS n FROM {pts} WHERE metric = 'http_reqs' "
        f'AND "time" < $last GROUP BY time_bucket(INTERVAL 60 SECOND, "time", $origin::TIMESTAMPTZ))',
        {"path": str(path), "origin": first, "last": first + timedelta(seconds=60 * int(span // 60))},
    ).fetchone()
    return float(row[0]) / 60.0 if row and row[0] is not None else None


def upgrade() -> None:
    bind = op.get_bind()
    root = Path(get_settings().loadtests.dir)
    runs = bind.execute(sa.select(RUN.c.id, RUN.c.points_file).order_by(RUN.c.id)).all()
    recomputed = missing = 0
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        for run_id, name in runs:
            path = root / name if name else None
            if path is None or not path.is_file():
                missing += 1
                continue
            try:
                value = peak_rps(con, path)
            except duckdb.Error as exc:  # a damaged file keeps its run's old figure; the run's pages name the file
                print(f"load-test run {run_id}: peak RPS kept, its points file cannot be read: {exc}".splitlines()[0])
                missing += 1
                continue
            bind.execute(sa.update(RUN).where(RUN.c.id == run_id).values(peak_rps=value))
            recomputed += 1
    finally:
        con.close()
    if runs:
        print(f"load-test runs: peak RPS recomputed for {recomputed}, kept for {missing} without readable points")


def downgrade() -> None:
    pass

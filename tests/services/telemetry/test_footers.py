"""A file's footer as DuckDB reads it: which stored types a column may have (a lossless conversion, one cast in the
view), the TimeGenerated range pruning reads, and a batch of files where one is damaged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.telemetry import store
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.store import FOOTERS, footer, footers, readable_files
from tests.telemetry_fixtures import AT

T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)
US = pa.timestamp("us", tz="UTC")


def _file(root: Path, name: str, **columns: pa.Array) -> Path:
    """An AppRequests file with the required columns (overridable) and the columns given."""
    base = {
        "TimeGenerated": pa.array([AT - timedelta(minutes=3)], US),
        "Success": pa.array([True]),
        "DurationMs": pa.array([120.0]),
    }
    path = root / "AppRequests" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({**base, **columns}), path)
    return path


# (column, stored Arrow array, readable?) — integers fit a wider integer or a double up to 2**53; an unsigned one
# needs one bit more; a naive time is not known to be UTC
CASES = [
    ("DurationMs", pa.array([1.5], pa.float32()), True),
    ("DurationMs", pa.array([7], pa.int32()), True),
    ("DurationMs", pa.array([7], pa.uint32()), True),
    ("DurationMs", pa.array([7], pa.int64()), False),
    ("DurationMs", pa.array(["7"]), False),
    ("ItemCount", pa.array([2], pa.int8()), True),
    ("ItemCount", pa.array([2], pa.uint32()), True),
    ("ItemCount", pa.array([2], pa.uint64()), False),
    ("ItemCount", pa.array([2.0]), False),
    ("TimeGenerated", pa.array([AT - timedelta(minutes=3)], pa.timestamp("ms", tz="UTC")), True),
    ("TimeGenerated", pa.array([AT - timedelta(minutes=3)], pa.timestamp("ns", tz="UTC")), True),
    ("TimeGenerated", pa.array([AT.replace(tzinfo=None) - timedelta(minutes=3)], pa.timestamp("us")), False),
    ("Name", pa.array(["GET /"], pa.large_string()), True),
    ("Name", pa.array(["GET /"]).dictionary_encode(), True),
    ("Name", pa.array([1]), False),
    ("Measurements", pa.array([{"a": 1.0}]), False),  # a nested column, not the JSON text the table keeps
]


@pytest.mark.parametrize(("column", "values", "readable"), CASES, ids=lambda c: str(getattr(c, "type", c)))
def test_a_column_stored_in_another_type_is_read_only_when_nothing_is_lost(
    tmp_path: Path, column: str, values: pa.Array, readable: bool
) -> None:
    path = _file(tmp_path, "f", **{column: values})
    verdict = footer(path, "AppRequests")
    assert (verdict.problem is None) == readable, verdict.problem
    if not readable:
        assert verdict.problem is not None and verdict.problem.startswith(f"{column} is ")
        return
    span = (AT - timedelta(hours=1), AT)
    rows = LocalTelemetrySource(tmp_path).query(f"AppRequests | project {column}", timespan=span).records()
    assert len(rows) == 1 and rows[0][column] is not None  # read, converted by the view's one cast


def test_nanosecond_times_give_a_range_that_covers_every_row(tmp_path: Path) -> None:
    first = 1_793_527_200_000_000_123  # 2026-11-01 10:00:00.000000123 UTC, in ns
    last = first + 3_600_000_000_500  # an hour and 500 ns later: 11:00:00.000000623
    path = _file(tmp_path, "ns", TimeGenerated=pa.array([first, last], pa.timestamp("ns", tz="UTC")),
                 Success=pa.array([True, True]), DurationMs=pa.array([1.0, 2.0]))  # fmt: skip
    low, high = footer(path, "AppRequests").time_range or (None, None)
    assert low == T0 and high == T0 + timedelta(hours=1, microseconds=1)  # floor and ceiling to whole µs
    # a query ending exactly at the last row's microsecond still reads the file
    got, _ = readable_files(tmp_path, "AppRequests", T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert path in got


def test_a_file_without_statistics_has_no_range_and_is_always_read(tmp_path: Path) -> None:
    path = tmp_path / "AppRequests" / "nostats.parquet"
    path.parent.mkdir(parents=True)
    table = pa.table({"TimeGenerated": pa.array([T0], US), "Success": [True], "DurationMs": [1.0]})
    pq.write_table(table, path, write_statistics=False)
    assert footer(path, "AppRequests").time_range is None
    assert path in readable_files(tmp_path, "AppRequests", T0 + timedelta(days=5), T0 + timedelta(days=6))[0]


def test_one_damaged_file_in_a_batch_costs_the_others_nothing(tmp_path: Path) -> None:
    good = [_file(tmp_path, f"good{i}") for i in range(3)]
    bad = tmp_path / "AppRequests" / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    FOOTERS.clear()
    got = footers([good[0], bad, good[1], good[2]], "AppRequests")
    assert list(got) == [good[0], bad, good[1], good[2]]  # in the order given
    assert all(got[g].problem is None for g in good)
    problem = got[bad].problem or ""
    assert problem.startswith("not a readable Parquet file: ") and str(bad) not in problem  # the report names it
    assert FOOTERS.misses == 4
    gone = tmp_path / "AppRequests" / "gone.parquet"
    assert gone not in footers([gone, good[0]], "AppRequests")  # replaced by a compaction: left out
    with pytest.raises(FileNotFoundError):
        footer(gone, "AppRequests")


def test_a_damaged_file_among_many_is_found_in_a_few_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [_file(tmp_path, f"f{i:02d}") for i in range(32)]
    for bad in (paths[5], paths[21]):
        bad.write_bytes(b"PAR1 damaged in place")
    reads: list[int] = []
    real = store._read_footers

    def counted(batch: list[str], table: str, con: object) -> dict[str, object]:
        reads.append(len(batch))
        return real(batch, table, con)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_read_footers", counted)
    FOOTERS.clear()
    got = footers(paths, "AppRequests")
    assert [p for p in paths if got[p].problem] == [paths[5], paths[21]]
    assert len(reads) <= 1 + 2 * 2 * 5  # halving: two damaged files of 32 cost at most 2·2·log2(32) more reads
    assert sum(1 for n in reads if n == 1) <= 4  # not every file alone

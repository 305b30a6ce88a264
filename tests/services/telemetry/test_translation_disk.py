"""Translations on disk: a new process skips the parser; a bad file, another schema or engine version misses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb_kql
import pytest

from services.telemetry import translation, translation_disk
from services.telemetry.local import TRANSLATIONS, LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

ROOT = Path(__file__).resolve().parents[3]
TEXT = "AppRequests | where TimeGenerated > ago(30m) | summarize n = count(), bad = countif(Success == false)"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts duckdb-kql translated in this process (the in-memory cache emptied first)."""
    seen: list[str] = []
    real = duckdb_kql.to_sql

    def counting(kql: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(kql)
        return real(kql, *args, **kwargs)

    translation.CACHE.clear()
    monkeypatch.setattr(duckdb_kql, "to_sql", counting)
    yield seen
    translation.CACHE.clear()


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def test_a_second_process_reads_the_translation_and_does_not_parse(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import duckdb_kql
        from services.telemetry import translation
        if sys.argv[2] == "no-parser":
            def refused(*a, **k):
                raise AssertionError("parsed although the translation is on disk")
            duckdb_kql.to_sql = refused
        t = translation.translate(sys.argv[3], disk=Path(sys.argv[1]))
        print(t.sql)
        """
    )

    def run(mode: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, str(folder), mode, TEXT], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = run("parse")
    assert len(_files(folder)) == 1
    assert run("no-parser") == first  # the same SQL, and duckdb-kql's parser never ran


def test_the_cached_translation_is_the_parsed_one(tmp_path: Path, parses: list[str]) -> None:
    fresh = translation.translate(TEXT, disk=tmp_path)
    translation.CACHE.clear()
    again = translation.translate(TEXT, disk=tmp_path)
    assert parses == [TEXT]  # the second came from the file
    assert again == fresh and isinstance(again.unbound, tuple)


def test_the_local_source_keeps_its_translations_beside_the_tables(tmp_path: Path, parses: list[str]) -> None:
    write(tmp_path, "AppRequests", [req(5), req(10, ok=False)])
    src = LocalTelemetrySource(tmp_path)
    frame = src.query(TEXT, timespan=(AT - timedelta(days=1), AT)).frame
    assert (int(frame["n"][0]), int(frame["bad"][0])) == (2, 1)
    assert len(_files(tmp_path / TRANSLATIONS)) == 1
    translation.CACHE.clear()
    frame = LocalTelemetrySource(tmp_path).query(TEXT, timespan=(AT - timedelta(days=1), AT)).frame
    assert (int(frame["n"][0]), int(frame["bad"][0])) == (2, 1)
    assert parses == [TEXT]


@pytest.mark.parametrize(
    "garbage", [b"", b"{not json", b'{"format": 1}', b"\xff\xfe", b'{"format": 1, "key": "x", "sql": 3}']
)
def test_a_corrupt_file_is_ignored_and_rewritten(tmp_path: Path, parses: list[str], garbage: bytes) -> None:
    fresh = translation.translate(TEXT, disk=tmp_path)
    (path,) = _files(tmp_path)
    path.write_bytes(garbage if b'"key": "x"' not in garbage else garbage.replace(b'"x"', f'"{path.stem}"'.encode()))
    translation.CACHE.clear()
    assert translation.translate(TEXT, disk=tmp_path) == fresh
    assert parses == [TEXT, TEXT]  # parsed again
    assert json.loads(path.read_text(encoding="utf-8"))["sql"] == fresh.sql  # and the file is whole again


def test_another_schema_or_engine_version_misses(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    translation.translate(TEXT, disk=tmp_path)
    translation.CACHE.clear()
    monkeypatch.setitem(translation.SCHEMA, "AppRequests", [*translation.SCHEMA["AppRequests"], "NewColumn"])
    translation.translate(TEXT, disk=tmp_path)
    translation.CACHE.clear()
    monkeypatch.setattr(translation, "_engine_version", lambda: "9.9.9")  # an upgrade of duckdb-kql
    translation.translate(TEXT, disk=tmp_path)
    assert parses == [TEXT, TEXT, TEXT]
    assert len(_files(tmp_path)) == 3


def test_the_engine_version_is_the_installed_one() -> None:
    # read from the package's metadata, so a process whose texts are cached never loads the engine's parser
    assert translation._engine_version() == duckdb_kql.__version__


def test_a_text_that_does_not_translate_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(duckdb_kql.KqlError):
        translation.translate("AppRequests | where = =", disk=tmp_path)
    assert not _files(tmp_path)


def test_a_missing_or_unwritable_folder_is_left_alone(tmp_path: Path) -> None:
    missing = tmp_path / "no-store" / "cache"
    translation.CACHE.clear()
    assert translation.translate(TEXT, disk=missing).sql
    assert not missing.parent.exists()  # a cache does not create the data folder


def test_typed_values_read_back_as_they_were_written(tmp_path: Path) -> None:
    values = {
        "at": datetime(2026, 12, 3, 11, 0, 0, 5, tzinfo=UTC),
        "naive": datetime(2026, 12, 3, 11, 0),
        "span": timedelta(days=1, seconds=30, microseconds=7),
        "price": Decimal("1.10"),
        "list": [1, "a", None, 2.5, True],
    }
    translation_disk.write(tmp_path, "k", {"parameters": values})
    back = translation_disk.read(tmp_path, "k")
    assert back is not None
    assert back["parameters"] == values


def test_a_value_of_an_unknown_type_is_not_cached(tmp_path: Path) -> None:
    translation_disk.write(tmp_path, "k", {"parameters": {"x": object()}})
    assert not _files(tmp_path) and not list(tmp_path.glob(".*.tmp"))


def test_the_oldest_files_go_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(translation_disk, "MAX_FILES", 3)
    for i in range(5):
        translation_disk.write(tmp_path, f"k{i}", {"sql": str(i)})
        os.utime(tmp_path / f"k{i}.json", (1_000_000 + i, 1_000_000 + i))
    translation_disk.write(tmp_path, "k5", {"sql": "5"})
    assert [p.stem for p in _files(tmp_path)] == ["k3", "k4", "k5"]

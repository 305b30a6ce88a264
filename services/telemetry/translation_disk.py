"""Translations kept on disk, one JSON file per query text, so a new process (`slo status`, a worker restart) skips the
KQL parser for the texts an earlier one translated.

A file's name is a hash of everything the SQL depends on: the text, duckdb-kql's version, the tables' columns and the
source of this package (the rewrites applied before the engine live here and change the SQL with no version change).
Anything else that changes misses and is translated again. Files are written whole (a temporary file, then a rename),
so a reader sees an old file or a new one, never half of one; a file that does not read back is ignored and rewritten.
Values are typed JSON, never pickle: a file in the data folder must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
MAX_FILES = 2048  # beyond it the oldest files are removed: user-typed texts would otherwise pile up
_PACKAGE = Path(__file__).resolve().parent


@cache
def code_digest() -> str:
    """A hash of this package's Python source (what turns a text into SQL besides the engine)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        h.update(path.name.encode())
        try:
            h.update(path.read_bytes())
        except OSError:  # a file Python could not import either; its name still counts
            h.update(b"\0unreadable")
    return h.hexdigest()


# read when the translating code is loaded, not at the first translation: a long-running process whose files were
# edited since it started must not store its SQL under the new code's hash
code_digest()


def key(kql: str, *, version: str, schema: dict[str, list[str]]) -> str:
    """The file name's hash for `kql` under this engine version, these tables and this code."""
    basis = json.dumps([FORMAT, kql, version, schema, code_digest()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


TAG = "$type"  # marks a typed value; no key of ours starts with "$"


def _typed(value: Any) -> dict[str, Any]:
    """json's `default`: a value JSON has no type for, tagged; TypeError for one this cache does not keep."""
    if isinstance(value, datetime | date | time):
        return {TAG: type(value).__name__, "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "v": str(value)}
    raise TypeError(f"a {type(value).__name__} is not kept in the translation cache")


_READ: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timedelta": lambda v: timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "decimal": Decimal,
}


def _untyped(obj: dict[str, Any]) -> Any:
    """json's `object_hook`: the value `_typed` tagged (KeyError for a tag it does not know: the file is ignored)."""
    return _READ[obj[TAG]](obj["v"]) if TAG in obj else obj


def read(folder: Path, name: str) -> dict[str, Any] | None:
    """The record stored under `name`, or None when there is none or it does not read back."""
    try:
        record = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"), object_hook=_untyped)
        if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("key") != name:
            return None
        return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.debug("ignoring the translation cache file %s: %s", name, exc)
        return None


def write(folder: Path, name: str, record: dict[str, Any]) -> None:
    """Store `record` under `name` whole, or not at all (a folder that cannot be written is left alone)."""
    try:
        text = json.dumps({"format": FORMAT, "key": name, **record}, ensure_ascii=False, default=_typed)
    except (TypeError, ValueError) as exc:
        log.debug("not caching a translation: %s", exc)
        return
    try:
        folder.mkdir(exist_ok=True)  # not parents: a missing data folder is not created for a cache
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, folder / f"{name}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder)
    except OSError as exc:
        log.debug("cannot write the translation cache in %s: %s", folder, exc)


def _prune(folder: Path) -> None:
    files = list(folder.glob("*.json"))
    if len(files) <= MAX_FILES:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for path in files[: len(files) - MAX_FILES]:
        path.unlink(missing_ok=True)

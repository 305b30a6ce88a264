"""Upload files for the tests: zip archives of given entries, hostile ones (a few MB of gzip that decompress to a
gigabyte), and the peak memory of a CLI run on them."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GB = 1 << 30
_BLOCK = 16 << 20


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A deflated zip archive holding each name with its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_gzip(path: Path, head: bytes, *, filler: bytes = b"a", size: int = GB, tail: bytes = b"") -> Path:
    """`head`, then about `size` bytes of `filler` repeated, then `tail`, as a gzip file of a few MB.

    The filler is compressed once and its gzip member written again and again: gzip readers concatenate the
    members of a file, so the content is the same as one huge compressed stream, made in a fraction of a second.
    """
    block = filler * max(1, _BLOCK // len(filler))  # whole fillers: a filler line is never cut at a block's end
    member = gzip.compress(block, compresslevel=1, mtime=0)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(head, mtime=0))
        for _ in range(size // len(block)):
            fh.write(member)
        fh.write(gzip.compress(tail, mtime=0))
    return path


@dataclass(frozen=True)
class Run:
    """What a CLI run printed, how it ended, and its peak resident memory."""

    code: int
    out: str
    err: str
    peak_mb: float


# A small Python between the test and the command: Linux carries a process's peak RSS across fork and exec, so a
# command started straight from a large pytest process would report pytest's own peak as its own.
_MEASURE = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, s, r = os.wait4(p.pid, 0); "
    "open(sys.argv[1], 'w').write(str(r.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(s))"
)


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """`sre-backoffice ARGS` in a child process (the test's settings plus `env`), with the child's own peak RSS.

    The child is started by a small measuring Python (see _MEASURE), and os.wait4 reports that one child's maximum
    resident set (its own children's included), unlike getrusage(RUSAGE_CHILDREN), which keeps the largest of every
    child the test process ever had.
    """
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        rss = Path(tmp) / "maxrss"
        command = [sys.executable, "-m", "services.cli", *map(str, args)]
        proc = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, str(rss), *command], env=child_env, stdout=out, stderr=err
        )
        proc.wait()
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read().decode(), err.read().decode(), int(rss.read_text()) / 1024)

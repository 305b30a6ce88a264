"""Reading uploaded files in bounded memory: gzip or plain by content, with caps on the decompressed size and on one
line's length (SRE_UPLOAD_MAX_DECOMPRESSED_MB, SRE_UPLOAD_MAX_LINE_KB), so a few MB of gzip cannot fill the memory."""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, cast

from services.config import get_settings
from services.errors import InvalidInput

GZIP_MAGIC = b"\x1f\x8b"
BLOCK = 1 << 20
FUTURE_GRACE = timedelta(days=1)  # clocks drift; a time further ahead than this is named in the import's message


@dataclass(frozen=True)
class UploadLimits:
    """The most bytes a file may decompress to and the longest line it may hold."""

    max_bytes: int
    max_line: int

    @classmethod
    def from_settings(cls) -> UploadLimits:
        """The configured limits."""
        cfg = get_settings()
        return cls(max_bytes=cfg.uploads.max_decompressed_mb << 20, max_line=cfg.uploads.max_line_kb << 10)

    def too_big(self, name: str) -> InvalidInput:
        """The refusal of a file over the decompressed-size limit."""
        return InvalidInput(
            f"{name}: holds more than the {self.max_bytes >> 20:,} MB a file may hold once decompressed "
            "(SRE_UPLOAD_MAX_DECOMPRESSED_MB); nothing was imported. Split it into smaller files, or raise the limit "
            "on the server."
        )

    def too_long(self, name: str, line: int) -> InvalidInput:
        """The refusal of a file with a line over the line-length limit."""
        return InvalidInput(f"{name}: {self.line_problem(line)}; nothing was imported. {self.line_hint}")

    def line_problem(self, line: int) -> str:
        """What is wrong with an over-long line."""
        return f"line {line:,} is longer than the {self.max_line >> 10:,} KB limit (SRE_UPLOAD_MAX_LINE_KB)"

    line_hint = "A line that long is not k6 or Serilog output; check the file, or raise the limit on the server."


def leaves_its_folder(entry_name: str) -> bool:
    """Whether a zip entry's path points outside the folder it is unpacked into (absolute, a drive, or ..)."""
    path = entry_name.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"[A-Za-z]:", path)) or ".." in path.split("/")


def is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


class _Capped(io.RawIOBase):
    """A byte stream that refuses to give more than `limit` bytes (InvalidInput past it)."""

    def __init__(self, inner: IO[bytes], limit: int, refusal: InvalidInput) -> None:
        self._inner, self._left, self._refusal = inner, limit, refusal

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise self._refusal
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def capped(raw: IO[bytes], *, name: str, limits: UploadLimits) -> IO[bytes]:
    """A stream's content, decompressed when it is gzip, refused past the decompressed-size limit."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, raw), BLOCK)
    gz = buffered.peek(2)[:2] == GZIP_MAGIC
    inner: IO[bytes] = cast(IO[bytes], gzip.GzipFile(fileobj=buffered, mode="rb")) if gz else buffered
    return io.BufferedReader(_Capped(inner, limits.max_bytes, limits.too_big(name)), BLOCK)


@contextlib.contextmanager
def open_bytes(path: Path, *, name: str, limits: UploadLimits) -> Iterator[IO[bytes]]:
    """A file's content, decompressed when it is gzip, refused past the decompressed-size limit."""
    with open(path, "rb") as raw:
        yield capped(raw, name=name, limits=limits)


class _Window(io.RawIOBase):
    """The bytes [start, end) of a file, as a stream."""

    def __init__(self, fh: IO[bytes], start: int, end: int) -> None:
        fh.seek(start)
        self._fh, self._left = fh, end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._fh.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def byte_range(path: Path, start: int, end: int) -> Iterator[IO[bytes]]:
    """The bytes [start, end) of a plain file, read a block at a time."""
    with open(path, "rb") as fh:
        yield io.BufferedReader(_Window(fh, start, end), BLOCK)


def corrupt(name: str, exc: BaseException) -> InvalidInput:
    """The refusal of gzip data that cannot be decompressed."""
    return InvalidInput(
        f"{name}: starts like gzip but cannot be decompressed ({exc}); it may be cut short or corrupt. "
        "Nothing was imported."
    )


def check(path: Path, *, name: str, limits: UploadLimits) -> None:
    """One streaming pass: refuse the file when it decompresses past the limit or holds a line over the line limit."""
    # Reading blocks no longer than the line limit, a line within one block is short enough; only a line that
    # crosses a block boundary can be too long, and find/rfind measure it without splitting the block.
    block = max(1, min(BLOCK, limits.max_line))
    newlines = run = 0
    try:
        with open_bytes(path, name=name, limits=limits) as fh:
            while data := fh.read(block):
                first = data.find(b"\n")
                if first < 0:
                    run += len(data)
                else:
                    if run + first > limits.max_line:
                        raise limits.too_long(name, newlines + 1)
                    newlines += data.count(b"\n")
                    run = len(data) - data.rfind(b"\n") - 1
                if run > limits.max_line:
                    raise limits.too_long(name, newlines + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return  # corrupt data is the reader's to explain (with the line where it breaks); only the limits are ours


def lines(stream: IO[bytes], *, max_line: int) -> Iterator[bytes | None]:
    """The lines of a stream, newline kept; None in place of a line longer than `max_line` (its bytes are skipped)."""
    while True:
        line = stream.readline(max_line + 1)
        if not line:
            return
        if len(line) <= max_line or (line.endswith(b"\n") and len(line) == max_line + 1):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # skip the rest of the long line, a block at a time
            line = stream.readline(BLOCK)
        yield None


def read_capped(path: Path, *, name: str, limit: int, refusal: InvalidInput) -> bytes:
    """The whole (decompressed) content of a small file, or `refusal` when it is over `limit` bytes."""
    try:
        with open_bytes(path, name=name, limits=UploadLimits(max_bytes=limit, max_line=limit)) as fh:
            data = fh.read(limit + 1)
    except InvalidInput:
        raise refusal from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise corrupt(name, exc) from None
    if len(data) > limit:
        raise refusal
    return data


def check_page_upload(name: str, size: int, *, command: str) -> None:
    """Refuse, unread, a file over the page-upload limit: the page holds it in memory, the CLI streams it."""
    limit = get_settings().uploads.max_page_mb
    if size > limit << 20:
        raise InvalidInput(
            f"{name} is {size / 2**20:,.0f} MB, over the {limit:,} MB a page upload may hold (SRE_UPLOAD_MAX_PAGE_MB); "
            f"nothing was imported. Gzip it, or import it on the server with `{command}`, which reads files of any "
            "size in bounded memory."
        )


def future_note(count: int, latest: datetime | None, *, what: str) -> str:
    """The message part naming stored items dated more than a day ahead, or '' when there are none."""
    if not count or latest is None:
        return ""
    return (
        f"{count:,} {what} dated more than a day in the future (the latest {latest.astimezone(UTC):%Y-%m-%d %H:%M} "
        f"UTC) {'was' if count == 1 else 'were'} stored as they are; check the clock of the machine that wrote them"
    )

"""Parsing times and ISO-8601 durations given on the command line or in forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from services.errors import InvalidInput

_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration such as PT1H, P1D or P7DT12H (no years or months)."""
    m = _DURATION.match(text.strip().upper())
    if not m or text.strip().upper() in ("P", "PT") or not any(m.groupdict().values()):
        raise InvalidInput(f"{text!r} is not an ISO-8601 duration; use e.g. PT30M, PT1H, P1D or P7D.")
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    td = timedelta(weeks=g["w"], days=g["d"], hours=g["h"], minutes=g["m"], seconds=g["s"])
    if td <= timedelta(0):
        raise InvalidInput(f"{text!r} is an empty duration; use e.g. PT1H.")
    return td


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; a time without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO-8601 time; use e.g. 2026-11-01T12:00:00Z.") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

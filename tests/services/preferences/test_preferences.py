"""A user's display time zone: remembered per user, checked against the zones the machine knows, audited on change."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput
from services.preferences import service as preferences

VERA = Actor("vera", "viewer")
OLA = Actor("ola", "operator")
ADMIN = Actor("ada", "admin")


def test_each_user_keeps_their_own_zone_and_only_changes_are_audited(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        assert preferences.display_timezone(s, actor=VERA) is None
        preferences.set_display_timezone(s, actor=VERA, zone="Asia/Bangkok")
        preferences.set_display_timezone(s, actor=VERA, zone="Asia/Bangkok")  # the same again: no record
        preferences.set_display_timezone(s, actor=OLA, zone="Europe/London")
    with session_scope() as s:
        assert preferences.display_timezone(s, actor=VERA) == "Asia/Bangkok"
        assert preferences.display_timezone(s, actor=OLA) == "Europe/London"
        preferences.set_display_timezone(s, actor=VERA, zone=None)
        assert preferences.display_timezone(s, actor=VERA) is None
        records = audit.list_records(s, actor=ADMIN, entity="user_preference")
    assert sorted((r.entity_id, str((r.after or {})["display_timezone"])) for r in records) == [
        ("ola", "Europe/London"),
        ("vera", "Asia/Bangkok"),
        ("vera", "None"),
    ]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "UTC+7"])
def test_a_zone_the_machine_does_not_know_is_refused(sqlite_engine: Engine, zone: str) -> None:
    with session_scope() as s, pytest.raises(InvalidInput, match="is not a time zone this machine knows"):
        preferences.set_display_timezone(s, actor=VERA, zone=zone)
    with session_scope() as s:
        assert preferences.display_timezone(s, actor=VERA) is None

"""README's Settings table and the settings sections cannot drift apart: each variable there sets the field it names."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from services.config import Settings, get_settings

README = Path(__file__).parents[2] / "README.md"


def _table_rows() -> dict[str, str]:
    """README's Settings table: the variable of each row's first column -> the whole row."""
    text = README.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in text.splitlines():
        if m := re.match(r"\| `(SRE_[A-Z0-9_]+)` \|", line):
            rows[m.group(1)] = line
    return rows


def _fields() -> dict[str, tuple[str, str, FieldInfo]]:
    """Every environment name a field reads -> (section, field, its FieldInfo)."""
    out = {}
    for section, section_info in Settings.model_fields.items():
        assert section_info.annotation is not None
        for name, info in section_info.annotation.model_fields.items():
            alias = info.validation_alias
            names = [c for c in alias.choices if isinstance(c, str)] if isinstance(alias, AliasChoices) else [alias]
            for env in names:
                assert isinstance(env, str), f"{section}.{name} has no environment name"
                out[env] = (section, name, info)
    return out


ROWS, FIELDS = _table_rows(), _fields()


def _sample(info: FieldInfo) -> tuple[str, Any]:
    """A value for the variable that differs from the field's default, and what the field then holds."""
    kind, default = info.annotation, info.default
    if get_origin(kind) in (Union, types.UnionType):
        kind = next(a for a in get_args(kind) if a is not type(None))
    if get_origin(kind) is Literal:
        choice = next(c for c in get_args(kind) if c != default)
        return choice, choice
    if kind is bool:
        return str(not default).lower(), not default
    if kind is int:
        start = default if isinstance(default, int) else 0  # an optional number, unset by default
        return str(start + 7), start + 7
    if kind is float:
        return str(default + 1.5), default + 1.5
    if kind is Path:
        return "/srv/sre-test", Path("/srv/sre-test")
    return "set-by-the-test-0123", "set-by-the-test-0123"


def _value(section: str, name: str) -> Any:
    value = getattr(getattr(get_settings(), section), name)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_the_table_lists_every_variable_a_field_reads() -> None:
    # an old name kept as an alias is named in the row of the variable it stands for
    unlisted = [env for env in FIELDS if env not in ROWS and not any(f"`{env}`" in row for row in ROWS.values())]
    assert unlisted == []
    assert len(ROWS) >= 50  # the table was found and parsed


@pytest.mark.parametrize("env", sorted(set(ROWS) | set(FIELDS)))
def test_each_variable_sets_the_field_it_names(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert env in FIELDS, f"README's Settings table documents {env}, but no setting reads it"
    section, name, info = FIELDS[env]
    before = _value(section, name)
    raw, expected = _sample(info)
    monkeypatch.setenv(env, raw)
    get_settings.cache_clear()
    assert before != expected and _value(section, name) == expected


def test_a_dotenv_file_is_read_old_names_included(isolated_settings: Path) -> None:
    (isolated_settings / ".env").write_text(
        "SRE_WEBHOOK_PORT=9100\nSRE_SMTP_HOST=smtp.contoso.example\nSRE_BOARD=github\n"
    )
    get_settings.cache_clear()
    settings = get_settings()
    assert (settings.api.port, settings.notify.smtp_host, settings.board.kind) == (
        9100,
        "smtp.contoso.example",
        "github",
    )

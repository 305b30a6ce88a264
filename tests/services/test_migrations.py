"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, in one straight line."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from services.config import get_settings
from services.migrate import alembic_config
from services.models import Base


def test_one_head_and_no_branches() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert all(len(r._all_down_revisions) <= 1 for r in script.walk_revisions())


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], get_settings().database.url

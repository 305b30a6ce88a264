"""Engine, sessions and the declarative base. The caller owns the transaction: services never commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from services.errors import DatabaseError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same everywhere."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_SQLITE_BEGIN = "sqlite_begin"


def begin_writing(session: Session) -> None:
    """Open the session's transaction as a writer, before its first query.

    SQLite fails a transaction that read and then writes after another writer committed ("database is locked", with
    no wait); taking the write lock first makes concurrent writers wait their turn instead. PostgreSQL is unchanged.
    """
    session.connection(execution_options={_SQLITE_BEGIN: "BEGIN IMMEDIATE"})


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for the URL; creates the SQLite folder and turns on foreign keys there."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            # pysqlite's own transaction handling breaks SAVEPOINTs (begin_nested); SQLAlchemy emits BEGIN itself
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get(_SQLITE_BEGIN, "BEGIN"))

    return engine


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for the configured database (or the URL given)."""
    from services.config import get_settings

    return make_engine(url or get_settings().database.url)


def shown_url(url: str) -> str:
    """A database URL fit for a message: no user name, no password."""
    try:
        u = make_url(url)
    except ArgumentError:
        return "(not a database URL)"
    if u.drivername.startswith("sqlite"):
        return u.render_as_string()
    where = f"{u.host or ''}{f':{u.port}' if u.port else ''}/{u.database or ''}"
    return f"{u.drivername}://{'...@' if u.username else ''}{where}"


def _reason(exc: DBAPIError) -> str:
    """The driver's first line, without the SQL SQLAlchemy appends."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc.orig or exc).__name__


def database_error(exc: DBAPIError, engine: Engine) -> DatabaseError:
    """What a user can act on, for a driver error that is not the app's own logic failing."""
    where = f"SRE_DATABASE_URL={shown_url(engine.url.render_as_string(hide_password=False))}"
    reason = _reason(exc)
    low = reason.lower()
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return DatabaseError(f"The database has no backoffice tables yet ({where}): run `sre-backoffice db upgrade`.")
    if isinstance(exc, OperationalError | InterfaceError):
        return DatabaseError(f"The database is not reachable ({where}): {reason}")
    return DatabaseError(f"The database refused the change ({where}): {reason}")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One user action: commit on success, roll back on any error.

    A database that cannot be reached, or that fails the commit, is a DatabaseError naming the (masked) URL and the
    reason; the caller learns of success only when this block has committed.
    """
    bound = engine or get_engine()
    factory = sessionmaker(bind=bound, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        _rollback_quietly(session)
        if isinstance(exc, IntegrityError):
            raise  # the app's own constraint: services translate the ones they expect
        raise database_error(exc, bound) from exc
    except BaseException:
        _rollback_quietly(session)
        raise
    finally:
        session.close()


def _rollback_quietly(session: Session) -> None:
    """Roll back; a connection that is already gone has nothing to roll back."""
    with suppress(DBAPIError):
        session.rollback()

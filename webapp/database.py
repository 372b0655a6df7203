"""Per-connection database settings.

SQLite enforces foreign keys only when asked, per connection; WAL lets readers work while a
writer commits, and busy_timeout makes a writer wait for a lock instead of failing at once.
"""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import Flask, has_request_context, request

from webapp.extensions import db

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Request methods that change nothing, so a read made once serves the whole request.
SAFE_METHODS = frozenset({"GET", "HEAD"})

# SQLite's primary result codes for a database that cannot serve right now (locked past the busy
# timeout, read-only, disk I/O failure, disk full, file unreachable), as opposed to a bad statement.
SQLITE_UNAVAILABLE_CODES = frozenset({5, 6, 8, 10, 13, 14})
# PostgreSQL SQLSTATEs of the same kind: connection exceptions (class 08), insufficient resources
# (53: disk full, out of memory, too many connections), server shutting down or starting (57P0x),
# and a read-only transaction (a standby, or `default_transaction_read_only`).
POSTGRES_UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03", "25006")


def configure_database(app: Flask) -> None:
    """Close each request's session safely, and attach the SQLite pragmas to every new
    connection of this app's engine."""
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own teardown.
    app.teardown_appcontext(remove_session)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @sa.event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def remove_session(_error: BaseException | None = None) -> None:
    """End the request's session. When the database went away during the request (PostgreSQL
    stopped: `terminating connection due to administrator command`), the ROLLBACK that closing
    sends fails too; the connection is then discarded instead, so the response already built (a
    200, or the 503 error page) still reaches the client rather than gunicorn's bare 500."""
    if not db.session.registry.has():
        return
    session = db.session()
    try:
        session.close()
    except sa.exc.SQLAlchemyError as error:
        logger.warning("database connection discarded at the end of a request",
                       extra={"error_type": type(getattr(error, "orig", None) or error).__name__})
        try:
            session.invalidate()
        except Exception:  # noqa: BLE001  (the connection is unusable either way)
            pass
    finally:
        db.session.registry.clear()


def commit_keeping_loaded() -> None:
    """Commit without expiring the loaded rows. For a write whose response is built from what the
    transaction has just written (or from rows it did not change, such as the learner): expiring
    them would only read them back, one statement each."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


# Indexes with expressions (xp DESC) that Alembic cannot compare; their migrations are written by
# hand, and autogenerate must neither drop nor re-create them.
HAND_WRITTEN_INDEXES = frozenset({"ix_users_leaderboard", "ix_weekly_xp_week_start_xp"})


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object` hook shared by migrations/env.py and the migration test."""
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot serve at the moment (down, unreachable, pool
    exhausted, read-only, disk full) rather than that a statement was wrong. The error policy
    answers the first with 503 SERVICE_UNAVAILABLE, the second with 500."""
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_UNAVAILABLE_CODES
    if hasattr(orig, "sqlstate"):  # psycopg: no SQLSTATE means the client lost or never got a connection
        state = orig.sqlstate
        if state is None:
            return isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError))
        return state.startswith(POSTGRES_UNAVAILABLE_STATES)
    return False


def upsert_known(model, keys: tuple[str, ...], rows: list[dict], existing: set) -> None:
    """Write `rows` of `model` in the caller's transaction: one executemany INSERT for the rows
    whose key (the tuple of `keys`: the whole primary key) is not in `existing`, one executemany
    UPDATE by primary key for the rest. The caller holds the rows' locks (it read them FOR UPDATE),
    so no other writer can add one in between; this runs the same on SQLite and PostgreSQL."""
    def key_of(row: dict) -> tuple:
        return tuple(row[k] for k in keys)

    inserts = [row for row in rows if key_of(row) not in existing]
    updates = [row for row in rows if key_of(row) in existing]
    if inserts:
        db.session.execute(sa.insert(model), inserts)
    if updates:
        table = model.__table__
        columns = [name for name in updates[0] if name not in keys]
        db.session.execute(
            sa.update(table).where(*(table.c[k] == sa.bindparam(f"b_{k}") for k in keys))
            .values({name: sa.bindparam(name) for name in columns}),
            [{**row, **{f"b_{k}": row[k] for k in keys}} for row in updates])


def per_request(key: str, build: Callable[[], T]) -> T:
    """`build()` once per GET or HEAD request, then the same result for the rest of it; built
    afresh outside a request and in a request that may write (its own change must show).

    For reads several services of one page make alike (the exam list, the objectives), that
    nothing a page reads can change while it renders. The memo lives in the request's WSGI
    environ, so it dies with the request: no later request, worker or test can see it."""
    if not has_request_context() or request.method not in SAFE_METHODS:
        return build()
    memo = request.environ.setdefault("certquest.per_request", {})
    if key not in memo:
        memo[key] = build()
    return memo[key]

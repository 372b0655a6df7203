"""Connection pool, statement_timeout and plan_cache_mode settings come from config and reach PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import DB_MAX_OVERFLOW, DB_POOL_SIZE, DB_STATEMENT_TIMEOUT_MS, engine_options_for
from webapp.extensions import db


def test_postgresql_engine_options_bound_the_pool_and_set_statement_timeout():
    """A PostgreSQL URL gets the configured pool size, overflow, wait and a statement_timeout option."""
    options = engine_options_for("postgresql+psycopg://app@db/certquest", pool_size=4, max_overflow=1,
                                 pool_timeout=7, statement_timeout_ms=1500)
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (4, 1, 7)
    assert options["connect_args"]["options"] == "-c statement_timeout=1500"
    custom = engine_options_for("postgresql+psycopg://app@db/x", statement_timeout_ms=1500, plan_cache_mode="force_custom_plan")
    assert custom["connect_args"]["options"] == "-c statement_timeout=1500 -c plan_cache_mode=force_custom_plan"
    assert "options" not in engine_options_for("postgresql+psycopg://app@db/x", statement_timeout_ms=0,
                                               plan_cache_mode="")["connect_args"]
    with pytest.raises(ValueError):
        engine_options_for("postgresql+psycopg://app@db/x", plan_cache_mode="custom")
    defaults = engine_options_for("postgresql+psycopg://app@db/certquest")
    assert (defaults["pool_size"], defaults["max_overflow"]) == (DB_POOL_SIZE, DB_MAX_OVERFLOW)


def test_sqlite_engine_options_have_no_server_settings():
    """SQLite keeps its lock wait and gets no pool or statement_timeout options it does not understand."""
    assert engine_options_for("sqlite:///x.db") == {"connect_args": {"timeout": 5}}


def test_postgresql_sessions_run_with_the_configured_statement_timeout(app):
    """On PostgreSQL every connection of the app's pool has statement_timeout set from config."""
    assert _postgresql_setting(app, "statement_timeout") == f"{DB_STATEMENT_TIMEOUT_MS // 1000}s"


def test_postgresql_sessions_keep_the_servers_plan_cache_mode_by_default(app):
    """DB_PLAN_CACHE_MODE is empty by default, so the app's connections plan as the server does (auto)."""
    from config import DB_PLAN_CACHE_MODE

    assert DB_PLAN_CACHE_MODE == "" and _postgresql_setting(app, "plan_cache_mode") == "auto"


def _postgresql_setting(app, name: str) -> str:
    """`SHOW name` on a connection of the app's pool (the test is skipped on SQLite, which has no such setting)."""
    if db_name(app) != "postgresql":
        pytest.skip(f"PostgreSQL only: SQLite has no {name}")
    with app.app_context():
        shown = db.session.scalar(sa.text(f"SHOW {name}"))
        db.session.remove()
    return shown


def db_name(app) -> str:
    with app.app_context():
        return db.engine.dialect.name

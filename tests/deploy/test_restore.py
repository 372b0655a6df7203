"""The backup and restore drill of docs/PRODUCTION.md, run as written on the suite's database.

On the SQLite leg: `sqlite3 ... ".backup ..."` while the app holds the database open, then
`PRAGMA integrity_check`. On the PostgreSQL leg: `pg_dump --format=custom`, `createdb`,
`pg_restore --no-owner`. Either way the restored copy must be at the migration head (`flask db
current`), hold every row of every table, and serve `/health` 200 from gunicorn with the
production config.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from config import ROOT
from tests.conftest import require_tool
from tests.factories import gen_bank, gen_scored_quiz, gen_user
from tests.tools.servers import find_binary, free_port, start_gunicorn, stop_process
from tests.tools.suite import find_pg_bindir
from webapp.extensions import db
from webapp.models import Question


def _row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {t: connection.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()


def _head() -> str:
    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


def _flask_db_current(url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py", "CERTQUEST_ENV": "development"}
    done = subprocess.run([sys.executable, "-m", "flask", "db", "current"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _serves_health(url: str, tmp_path: Path) -> int:
    port = free_port()
    env = {"CERTQUEST_ENV": "production", "SECRET_KEY": "restore-drill-secret-0123456789abcdefghij",
           "DATABASE_URL": url, "TRUSTED_HOSTS": "127.0.0.1", "WEB_CONCURRENCY": "1"}
    server = start_gunicorn(port, env, tmp_path / "gunicorn.log", workers=1)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            return response.status
    finally:
        stop_process(server)


def _some_history(app) -> int:
    """A learner with a scored quiz; returns how many answers it stored."""
    gen_bank(app, per_objective=2)
    learner = gen_user(app)
    with app.app_context():
        questions = list(db.session.scalars(sa.select(Question).limit(5)))
        gen_scored_quiz(app, learner, questions, correct=3)
    return len(questions)


def test_backup_and_restore_drill_gives_a_working_copy(app, tmp_path):
    """The documented backup of the live database restores to a copy at the migration head with
    every row of every table, and gunicorn serves /health 200 from it."""
    answers = _some_history(app)
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    parsed = make_url(source)
    if parsed.get_backend_name() == "sqlite":
        sqlite3 = find_binary("sqlite3")
        require_tool(sqlite3, "sqlite3 (the backup drill's command)")
        copy = tmp_path / "certquest-restore.db"
        with app.app_context():  # the app holds the database open while the backup runs
            db.session.execute(sa.text("SELECT 1"))
            subprocess.run([sqlite3, parsed.database, f".backup '{copy}'"], check=True, timeout=60)
        check = subprocess.run([sqlite3, str(copy), "PRAGMA integrity_check;"], check=True, timeout=60,
                               capture_output=True, text=True)
        assert check.stdout.strip() == "ok"
        restored = f"sqlite:///{copy}"
    else:
        bindir = find_pg_bindir()
        require_tool(str(bindir / "pg_dump") if bindir else None, "pg_dump")
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        dump = tmp_path / "certquest.dump"
        subprocess.run([str(bindir / "pg_dump"), "--format=custom", f"--file={dump}", libpq], check=True, timeout=120)
        name = f"certquest_restore_{uuid.uuid4().hex[:8]}"
        server = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        subprocess.run([str(bindir / "createdb"), f"--maintenance-db={server}", name], check=True, timeout=60)
        restored = parsed.set(database=name).render_as_string(hide_password=False)
        target = parsed.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        subprocess.run([str(bindir / "pg_restore"), "--no-owner", f"--dbname={target}", str(dump)], check=True,
                       timeout=120)
    try:
        assert _head() in _flask_db_current(restored)
        assert _row_counts(restored) == _row_counts(source)
        assert _row_counts(restored)["answers"] == answers > 0
        assert _serves_health(restored, tmp_path) == 200
    finally:
        if parsed.get_backend_name() != "sqlite":
            engine = sa.create_engine(source, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(restored).database}" WITH (FORCE)'))
            engine.dispose()

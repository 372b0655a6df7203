"""Shared fixtures: one app per session on the database named by TEST_DATABASE_URL.

The schema is built by running the real migrations (so every leg also tests them), and each
test starts from empty tables.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, gen_user, login
from tests.tools.servers import free_port, strict
from webapp import create_app
from webapp.extensions import cache, db, limiter
from webapp.models import User

CHROMIUM = "/usr/bin/chromium"


def _drop_everything(engine: sa.Engine) -> None:
    """Remove every table, including ones from earlier runs and alembic_version."""
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            for table in reversed(meta.sorted_tables):
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session")
def app():
    """The application under test, migrated to the latest revision."""
    application = create_app(TestingConfig)
    with application.app_context():
        _drop_everything(db.engine)
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def clean_tables(application) -> None:
    """Delete every row, children first, leaving the schema in place."""
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test that uses the app starts from empty tables and empty rate-limit counters."""
    yield
    if "app" in request.fixturenames:
        application = request.getfixturevalue("app")
        clean_tables(application)
        limiter.reset()
        with application.app_context():
            cache.clear()  # ids are reused after the tables are emptied
        application.extensions.pop("learning_memo", None)  # likewise (webapp/learning/display.py)


@pytest.fixture
def db_label(app) -> str:
    """`sqlite` or `postgresql`: which leg of the suite is running."""
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture(scope="session")
def live_url(app):
    """The app served by a real threaded WSGI server on a free loopback port."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def require_tool(path_or_name: str | None, what: str) -> None:
    """Skip when a tool is missing, unless CI/STRICT is set, where it is a failure."""
    if path_or_name and Path(path_or_name).exists():
        return
    if strict():
        pytest.fail(f"{what} is required under CI=true/STRICT=1 but was not found")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    require_tool(CHROMIUM, "Chromium (/usr/bin/chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's autouse request context: tests see requests as production does,
    each with its own app context and `g`."""
    yield



@pytest.fixture
def ctx(app):
    """An app context around a service test (the services read config and the session from it)."""
    with app.app_context():
        yield

@pytest.fixture
def client(app):
    """A plain test client. pytest-flask's version keeps the last request context pushed, which
    lets `g` (and so the signed-in user) leak into requests made by other clients."""
    return app.test_client()


@pytest.fixture
def sign_in(app, client):
    """A callable: `sign_in(**user_fields)` creates a user with `gen_user` and signs it in on `client`
    through the real form, then returns the user. For tests that need a given username, email, zone..."""

    def _sign_in(**user_fields) -> User:
        user = gen_user(app, **user_fields)
        response = login(client, user.username, user_fields.get("password", DEFAULT_PASSWORD))
        assert response.status_code == 302, f"sign-in of {user.username} failed: {response.status_code}"
        return user

    return _sign_in


@pytest.fixture
def signed_in(sign_in) -> User:
    """A learner signed in on `client` through the real sign-in form."""
    return sign_in()


@pytest.fixture
def admin(sign_in) -> User:
    """An administrator signed in on `client` through the real sign-in form."""
    return sign_in(is_admin=True)

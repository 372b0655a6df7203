"""Which database errors mean "unavailable" (503, retry) rather than a bug (500), on real errors."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from webapp.database import database_unavailable


def _sqlite_error(tmp_path, statement: str, read_only: bool = False) -> sa.exc.DBAPIError:
    path = tmp_path / "probe.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    url = f"sqlite:///file:{path}?mode=ro&uri=true" if read_only else f"sqlite:///{path}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    except sa.exc.DBAPIError as error:
        return error
    finally:
        engine.dispose()
    pytest.fail(f"{statement} did not fail")


def test_a_write_to_a_read_only_sqlite_database_is_unavailable(tmp_path):
    """SQLITE_READONLY from a real write counts as the database being unavailable."""
    assert database_unavailable(_sqlite_error(tmp_path, "INSERT INTO t VALUES (1)", read_only=True)) is True


def test_a_bad_statement_is_a_bug_not_an_outage(tmp_path):
    """A missing table (SQLITE_ERROR) stays a 500-class bug."""
    error = _sqlite_error(tmp_path, "SELECT * FROM no_such_table_xyz")
    assert isinstance(error, sa.exc.OperationalError) and database_unavailable(error) is False


def test_a_refused_postgresql_connection_is_unavailable():
    """psycopg's client-side `connection refused` (no SQLSTATE) counts as unavailable."""
    from tests.tools.servers import free_port

    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none",
                              connect_args={"connect_timeout": 2})
    with pytest.raises(sa.exc.OperationalError) as caught:
        engine.connect()
    assert database_unavailable(caught.value) is True


def test_html_503_page_renders_for_a_signed_in_user_when_the_database_is_gone(app, client, signed_in, monkeypatch):
    """A signed-in page whose user cannot be loaded answers the 503 page, not a bare 500."""
    from webapp.auth import services

    def refused(*_args, **_kwargs):
        cause = sqlite3.OperationalError("unable to open database file")
        cause.sqlite_errorcode = 14  # SQLITE_CANTOPEN, as sqlite3 sets it on a real failure
        raise sa.exc.OperationalError("SELECT users", {}, cause)

    monkeypatch.setattr(services.db.session, "get", refused)
    response = client.get("/progress")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert 'data-error-code="SERVICE_UNAVAILABLE"' in html and "Temporarily unavailable" in html
    assert "Traceback" not in html

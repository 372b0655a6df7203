"""Data export and account deletion, driven by the user-data registry."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, bearer, gen_token, gen_user
from webapp.extensions import db
from webapp.models import AuditEvent, User
from webapp.privacy.services import USER_DATA, columns_pointing_at_users, tables_pointing_at_users


def test_registry_covers_every_table_pointing_at_users(app):
    """Every column with a foreign key to users is in the export/delete registry."""
    registered = {(entry.table, entry.user_column) for entry in USER_DATA}
    pointing = columns_pointing_at_users()
    assert {("api_tokens", "user_id"), ("question_feedback", "resolved_by")} <= pointing
    assert {table for table, _ in pointing} == tables_pointing_at_users()
    missing = pointing - registered
    assert not missing, f"add these tables to webapp.privacy.services.USER_DATA: {sorted(missing)}"


def test_browser_export_contains_the_users_data_without_secrets(client, app, signed_in):
    """The export downloads profile, tokens and audit rows, never hashes or token secrets."""
    secret = gen_token(app, signed_in)
    assert client.post("/account/export", data={"current_password": "wrong"}).status_code == 400
    response = client.post("/account/export", data={"current_password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["user"]["username"] == signed_in.username and data["user"]["email"] == signed_in.email
    assert "password_hash" not in data["user"]
    assert len(data["api_tokens"]) == 1 and "token_hash" not in data["api_tokens"][0]
    assert {e["event"] for e in data["audit_events"]} >= {"register", "login_success", "token_create"}
    raw = response.get_data(as_text=True)
    assert secret not in raw and "pbkdf2" not in raw


def test_api_export(client, app):
    """GET /api/v1/users/me/export returns the same document for the token's owner."""
    user = gen_user(app, username="apiexporter")
    response = client.get("/api/v1/users/me/export", headers=bearer(gen_token(app, user)))
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "apiexporter"


def _rows_for(app, user_id: int) -> dict[str, int]:
    counts = {}
    with app.app_context():
        for table_name, column in columns_pointing_at_users():
            table = db.metadata.tables[table_name]
            counts[f"{table_name}.{column}"] = db.session.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c[column] == user_id))
        counts["users"] = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.id == user_id))
    return counts


def test_deletion_leaves_no_rows_and_anonymises_audit(client, app, signed_in):
    """Deleting the account removes every personal row at once; audit rows keep their event with no user."""
    user = signed_in
    gen_token(app, user)
    bystander = gen_user(app, username="bystander")
    gen_token(app, bystander)
    assert client.post("/account/delete", data={"current_password": DEFAULT_PASSWORD, "confirm": "nope"}).status_code == 400
    response = client.post("/account/delete", data={"current_password": DEFAULT_PASSWORD,
                                                    "confirm": "delete my account"})
    assert response.status_code == 302
    assert all(count == 0 for count in _rows_for(app, user.id).values())
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent.event).where(AuditEvent.user_id.is_(None))).all()
        assert {"register", "login_success", "account_delete"} <= set(events)
        assert _rows_for(app, bystander.id)["api_tokens.user_id"] == 1
    assert client.get("/account").status_code == 302


def test_same_email_can_register_again_after_deletion(client, signed_in):
    """After deletion the email and username are free again."""
    client.post("/account/delete", data={"current_password": DEFAULT_PASSWORD, "confirm": "delete my account"})
    again = client.post("/auth/register", data={"email": signed_in.email, "username": signed_in.username,
                                                "password": DEFAULT_PASSWORD})
    assert again.status_code == 302


def test_foreign_keys_are_enforced_during_deletion(app, db_label):
    """The deletion test runs with foreign keys on (SQLite pragma; always on in PostgreSQL)."""
    if db_label == "sqlite":
        with app.app_context():
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1

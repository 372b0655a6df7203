"""GDPR-style export and deletion.

`USER_DATA` lists every table with a foreign key to `users`, how to find the user's rows and
what deletion does to them. A test walks the metadata and fails when a table pointing at
`users` is missing here, so each new feature must decide what export and deletion mean for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from webapp.audit.services import RequestMeta, record_event
from webapp.auth.services import end_sessions_and_tokens
from webapp.extensions import db
from webapp.feedback import services as feedback
from webapp.models import User

DELETE = "delete"  # the rows are the user's own data and go with the account
ANONYMISE = "anonymise"  # the rows stay (audit trail) with the user column set to null


@dataclass(frozen=True)
class UserOwnedTable:
    table: str
    user_column: str
    on_delete: str
    export_key: str
    never_export: frozenset[str] = frozenset()


# Deletion runs in this order: children before the tables they point at.
USER_DATA: list[UserOwnedTable] = [
    UserOwnedTable("api_tokens", "user_id", DELETE, "api_tokens", frozenset({"token_hash"})),
    # Derived from the answers (webapp/learning), before them: a review log row points at its answer.
    UserOwnedTable("review_logs", "user_id", DELETE, "review_log"),
    UserOwnedTable("review_cards", "user_id", DELETE, "review_cards"),
    UserOwnedTable("objective_mastery", "user_id", DELETE, "mastery"),
    UserOwnedTable("answers", "user_id", DELETE, "answers"),
    UserOwnedTable("xp_events", "user_id", DELETE, "xp_events"),
    UserOwnedTable("weekly_xp", "user_id", DELETE, "weekly_xp"),
    UserOwnedTable("streaks", "user_id", DELETE, "streak"),
    UserOwnedTable("user_achievements", "user_id", DELETE, "achievements"),
    UserOwnedTable("attempt_results", "user_id", DELETE, "quiz_results"),
    UserOwnedTable("bookmark_tags", "user_id", DELETE, "bookmark_tags"),
    UserOwnedTable("question_bookmarks", "user_id", DELETE, "bookmarks"),
    UserOwnedTable("question_notes", "user_id", DELETE, "notes"),
    UserOwnedTable("daily_goals", "user_id", DELETE, "daily_goals"),
    UserOwnedTable("exam_dates", "user_id", DELETE, "exam_dates"),
    UserOwnedTable("goal_days", "user_id", DELETE, "goal_days"),
    UserOwnedTable("digest_log", "user_id", DELETE, "digests"),
    # study_questions go with their session (ON DELETE CASCADE), after the session's answers above.
    UserOwnedTable("study_sessions", "user_id", DELETE, "study_sessions"),
    # attempt_questions go with their attempt (ON DELETE CASCADE).
    UserOwnedTable("quiz_attempts", "user_id", DELETE, "quiz_attempts"),
    UserOwnedTable("audit_events", "user_id", ANONYMISE, "audit_events"),
    # A learner's reports stay for the admins, without their name; an admin's decisions and
    # edits stay in the question's history, without theirs.
    UserOwnedTable("question_feedback", "user_id", ANONYMISE, "question_reports"),
    UserOwnedTable("question_feedback", "resolved_by", ANONYMISE, "reports_resolved", frozenset({"user_id"})),
    UserOwnedTable("question_versions", "edited_by", ANONYMISE, "question_edits"),
]
USER_FIELDS_NEVER_EXPORTED = frozenset({"password_hash", "session_secret"})


def register_user_table(entry: UserOwnedTable) -> None:
    """Features that add a table pointing at users call this from their models module."""
    if all((existing.table, existing.user_column) != (entry.table, entry.user_column) for existing in USER_DATA):
        USER_DATA.append(entry)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def export_user_data(user: User, meta: RequestMeta) -> dict:
    """Everything stored about `user`, as JSON-ready data, minus hashes and token secrets."""
    profile = {c.name: _jsonable(getattr(user, c.key)) for c in User.__table__.columns
               if c.name not in USER_FIELDS_NEVER_EXPORTED}
    data: dict[str, Any] = {"format": "certquest-export/1", "user": profile}
    for entry in USER_DATA:
        table = _table(entry.table)
        rows = db.session.execute(sa.select(table).where(table.c[entry.user_column] == user.id)
                                  .order_by(*table.primary_key.columns)).mappings()
        data[entry.export_key] = [{k: _jsonable(v) for k, v in row.items() if k not in entry.never_export}
                                  for row in rows]
    record_event("data_export", meta, user_id=user.id)
    db.session.commit()
    return data


def export_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def delete_user_account(user: User, meta: RequestMeta) -> None:
    """Remove the account and every personal row at once; audit rows lose their user id.

    Its sessions and tokens end first, so nothing issued to the account outlives it.
    """
    user_id = user.id
    end_sessions_and_tokens(user)
    # The learner's open reports stay but stop counting: their questions are locked now and
    # recounted once the reports no longer name the user.
    reported = feedback.lock_reported_questions(user_id)
    for entry in USER_DATA:
        table = _table(entry.table)
        condition = table.c[entry.user_column] == user_id
        if entry.on_delete == DELETE:
            db.session.execute(sa.delete(table).where(condition))
        else:
            db.session.execute(sa.update(table).where(condition).values({entry.user_column: None}))
    for question_id in reported:
        feedback.refresh_flags(question_id)
    db.session.delete(user)
    record_event("account_delete", meta, user_id=None)
    db.session.commit()


def tables_pointing_at_users() -> set[str]:
    """Every table with a foreign key to users.id."""
    return {table for table, _column in columns_pointing_at_users()}


def columns_pointing_at_users() -> set[tuple[str, str]]:
    """Every (table, column) with a foreign key to users.id (what the registry must cover)."""
    found = set()
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users":
                found.add((table.name, fk.parent.name))
    return found


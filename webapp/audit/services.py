"""Recording audit events: one database row and one JSON log line per event.

Rows are only ever inserted; nothing in the app updates or deletes them (account deletion sets
their user id to null through the foreign key). No password or token ever goes in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from webapp.extensions import db
from webapp.models import AuditEvent

logger = logging.getLogger("webapp.audit")

EVENTS = frozenset({
    "register", "login_success", "login_failure", "lockout", "logout", "password_change",
    "email_change", "token_create", "token_revoke", "data_export", "account_delete",
    "admin_promotion", "account_deactivate",
    # Admin work on questions; `details` holds the question id and the before and after.
    "question_edit", "question_reactivate", "feedback_resolve", "feedback_dismiss",
})


@dataclass(frozen=True)
class RequestMeta:
    """Who is asking: the facts about a request that the audit log keeps."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


def record_event(event: str, meta: RequestMeta, user_id: int | None = None, details: dict | None = None,
                 commit: bool = False) -> AuditEvent:
    """Add an audit row to the session (committed with the caller's transaction by default)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    row = AuditEvent(user_id=user_id, event=event, ip=meta.ip,
                     user_agent=(meta.user_agent or "")[:255] or None,
                     request_id=meta.request_id, details=details or None)
    db.session.add(row)
    if commit:
        db.session.commit()
    logger.info("audit event", extra={"event": event, "audit_user_id": user_id, "ip": meta.ip,
                                      "details": details or {}})
    return row

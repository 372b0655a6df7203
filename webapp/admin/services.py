"""Read-only admin queries (the audit log and a few counts)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.models import AuditEvent, User

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class SiteCounts:
    users: int
    admins: int
    audit_events: int


def site_counts() -> SiteCounts:
    users, admins = db.session.execute(
        sa.select(sa.func.count(User.id), sa.func.count(User.id).filter(User.is_admin.is_(True)))).one()
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    return SiteCounts(users, admins, events)


def audit_page(page: int, per_page: int = AUDIT_PAGE_SIZE, event: str | None = None):
    """Newest first, paginated; optionally one event type."""
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if event:
        query = query.where(AuditEvent.event == event)
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)

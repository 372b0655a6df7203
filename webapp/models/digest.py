"""The weekly digest's delivery log: one row per learner per ISO week, so each learner gets one
digest a week even when `flask digest send` runs twice or on two servers at once.

A run claims a learner's week by inserting the row (`sending`; the unique key refuses a second
claim), then marks it `sent`, or `failed` with the error; a failed (or long-stuck `sending`)
week is claimed again by the next run, counting `attempts`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow
from webapp.models.enums import DigestStatus, sql_in


class DigestLog(db.Model):
    __tablename__ = "digest_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # ISO week, "YYYY-Www" (e.g. "2026-W49").
    iso_week: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the current claim was taken (a `sending` row older than the claim timeout is stale).
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("user_id", "iso_week"),
        sa.CheckConstraint(f"status IN ({sql_in(DigestStatus)})", name="status_known"),
        sa.Index("ix_digest_log_iso_week_status", "iso_week", "status"),
        NEVER_REUSE_IDS,
    )

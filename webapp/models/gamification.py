"""XP ledger, weekly XP totals, streaks and earned achievements.

`users.xp` is a cached total of `xp_events`; every award inserts a ledger row first and adds to
the total only if the row was new, so the two always agree. `weekly_xp` is the same ledger
summed per ISO week, kept current on each award so the weekly leaderboard is an index scan.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow


class XpEvent(db.Model):
    __tablename__ = "xp_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(40))
    # What earned it, e.g. "attempt:123"; with the reason it makes every award idempotent.
    source: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "reason", "source"),
        sa.Index("ix_xp_events_user_id_created_at", "user_id", "created_at"),
        NEVER_REUSE_IDS,
    )


class WeeklyXp(db.Model):
    """XP earned per user per ISO week (UTC), for the weekly leaderboard."""

    __tablename__ = "weekly_xp"

    week_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    xp: Mapped[int] = mapped_column(default=0, server_default="0")
    # When this week's total last grew: ties go to whoever got there first.
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.Index("ix_weekly_xp_week_start_xp", "week_start", sa.text("xp DESC"), "reached_at"),
        sa.Index("ix_weekly_xp_user_id", "user_id"),
    )


class Streak(db.Model):
    """A user's daily streak, counted in the user's own time zone."""

    __tablename__ = "streaks"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    current: Mapped[int] = mapped_column(default=0, server_default="0")
    longest: Mapped[int] = mapped_column(default=0, server_default="0")
    freezes: Mapped[int] = mapped_column(default=0, server_default="0")
    freezes_used: Mapped[int] = mapped_column(default=0, server_default="0")
    last_active_day: Mapped[date | None] = mapped_column(sa.Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("freezes BETWEEN 0 AND 2", name="freezes_range"),
        sa.CheckConstraint("current >= 0 AND longest >= current", name="counts_consistent"),
    )


class UserAchievement(db.Model):
    __tablename__ = "user_achievements"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(40))
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("user_id", "code"),
        sa.Index("ix_user_achievements_user_id_earned_at", "user_id", "earned_at"),
        NEVER_REUSE_IDS,
    )

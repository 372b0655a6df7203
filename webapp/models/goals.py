"""Daily goals, exam dates, and the days a learner's goals were met.

- `DailyGoal`: at most one goal of each type per learner (primary key user and type); posting a
  goal again replaces its target.
- `ExamDate`: the day a learner sits an exam (one per exam); the goal form suggests a daily
  target from it and the dashboard counts down.
- `GoalDay`: a local day on which every goal set at the time was reached, written in the
  transaction of the answer that reached it (`met_at`); the goal streak and the 14-day history
  read it. `announced_at` is when the learner was told "goal reached" (once).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.enums import GoalType, sql_in


class DailyGoal(db.Model):
    __tablename__ = "daily_goals"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    goal_type: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    target: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"goal_type IN ({sql_in(GoalType)})", name="goal_type_known"),
        sa.CheckConstraint("target > 0", name="target_positive"),
    )


class ExamDate(db.Model):
    __tablename__ = "exam_dates"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True)
    exam_on: Mapped[date] = mapped_column(sa.Date())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GoalDay(db.Model):
    __tablename__ = "goal_days"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    met_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

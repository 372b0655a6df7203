"""Learner reports on questions, the item statistics, and each question's edit history.

- `QuestionFeedback`: the roadmap's `question_feedback`. One open (`pending`) report per
  learner per question (a partial unique index); a second report updates it. Deleting the
  learner keeps the report and forgets who filed it (`user_id` SET NULL); deleting the question
  deletes its reports. `resolved_by`, `resolved_at` and `resolution_note` record the admin's
  decision; `resolution_seen_at` is when the reporter's dashboard showed it (once).
- `QuestionStats`: one row per question, written by `flask questions item-stats` from each
  learner's first answer in a practice quiz or simulation; the triage queue reads it.
- `QuestionVersion`: a snapshot of a question's content at each `version`, written by the bank
  import and the admin editor, so the editor can show a diff and a review can say when a key
  was corrected.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow
from webapp.models.enums import FeedbackStatus, FeedbackType, sql_in

# The partial index's condition: the text must stay identical to migration 0011's.
OPEN_REPORT = "status = 'pending'"


class QuestionFeedback(db.Model):
    __tablename__ = "question_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    feedback_type: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=FeedbackStatus.PENDING.value,
                                        server_default=FeedbackStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last time the reporter changed the open report (a second report updates it).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolution_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    question = relationship("Question")
    reporter = relationship("User", foreign_keys=[user_id])
    resolver = relationship("User", foreign_keys=[resolved_by])

    __table_args__ = (
        sa.CheckConstraint(f"feedback_type IN ({sql_in(FeedbackType)})", name="feedback_type_known"),
        sa.CheckConstraint(f"status IN ({sql_in(FeedbackStatus)})", name="status_known"),
        # One open report per learner per question.
        sa.Index("uq_question_feedback_open", "user_id", "question_id", unique=True,
                 sqlite_where=sa.text(OPEN_REPORT), postgresql_where=sa.text(OPEN_REPORT)),
        # A question's reports (the detail pane, flag_count) and the queue's filters.
        sa.Index("ix_question_feedback_question_id_status", "question_id", "status"),
        # "My reports", newest first.
        sa.Index("ix_question_feedback_user_id_created_at", "user_id", "created_at"),
        NEVER_REUSE_IDS,
    )


class QuestionStats(db.Model):
    """Item statistics of one question (docs/ITEM_STATISTICS.md has the formulas)."""

    __tablename__ = "question_stats"

    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int] = mapped_column(default=0, server_default="0")
    # Percent correct, 0-100; None without responses.
    facility: Mapped[float | None]
    # Point-biserial correlation with the rest of the attempt's score, -1..1; None when undefined.
    discrimination: Mapped[float | None]
    # {"<choice id>": {"all": n, "top": n, "bottom": n}}, and the sizes of the top and bottom 27%.
    choice_counts: Mapped[dict | None] = mapped_column(sa.JSON)
    top_group: Mapped[int] = mapped_column(default=0, server_default="0")
    bottom_group: Mapped[int] = mapped_column(default=0, server_default="0")
    median_seconds: Mapped[float | None]
    is_suspect: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Why it is suspect, in words, e.g. ["Discrimination below 0 (-0.12)"].
    suspect_reasons: Mapped[list | None] = mapped_column(sa.JSON)
    # Higher is more suspect; the queue sorts by it.
    suspicion_score: Mapped[float] = mapped_column(default=0, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question = relationship("Question")

    __table_args__ = (
        sa.Index("ix_question_stats_is_suspect_suspicion_score", "is_suspect", "suspicion_score"),
    )


class QuestionVersion(db.Model):
    """One version of a question's content: stem, exhibit, choices with rationales and key,
    explanation, reference, objective and active flag (`content`, as the bank file spells it)."""

    __tablename__ = "question_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    version: Mapped[int]
    content: Mapped[dict] = mapped_column(sa.JSON)
    # The key differs from the previous version's (a review of an older attempt says so).
    key_changed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # "import" or "admin"; the admin who saved it, if any (SET NULL: the history outlives the account).
    origin: Mapped[str] = mapped_column(sa.String(10))
    edited_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    editor = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("question_id", "version"),
        sa.CheckConstraint("origin IN ('import', 'admin')", name="origin_known"),
        NEVER_REUSE_IDS,
    )

"""Quiz attempts, their questions, their stored result, and the answer history.

- `QuizAttempt`: one practice quiz, exam simulation or (later) study session of one user.
- `AttemptQuestion`: a question as drawn into an attempt, with its shuffled choice order and
  the learner's current selection. Saved on every click, so nothing is lost on refresh.
- `AttemptResult`: the scored result, one row per attempt (its primary key is the attempt id),
  so a second submission cannot store a second result.
- `Answer`: the permanent history, one row per question of every *completed* attempt. Analytics
  and the "unseen first" draw read this table, so it is indexed for per-user time ranges,
  per-objective aggregates (overall, and per exam over time) and per-question recency.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow
from webapp.models.enums import AttemptStatus, Confidence, QuestionSource, QuizMode, sql_in

# The partial index's condition: the text must stay identical to migration 0003's.
IN_PROGRESS_ONLY = f"status = '{AttemptStatus.IN_PROGRESS}'"


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), default=AttemptStatus.IN_PROGRESS.value,
                                        server_default=AttemptStatus.IN_PROGRESS.value)
    question_count: Mapped[int]
    # Objective codes the learner chose (practice only); null means the whole exam.
    objective_codes: Mapped[list | None] = mapped_column(sa.JSON)
    # Where the questions came from (practice only; a simulation always draws from all).
    source: Mapped[str] = mapped_column(sa.String(12), default=QuestionSource.ALL.value,
                                        server_default=QuestionSource.ALL.value)
    # The tag of a `bookmarked` source; null for every other source.
    source_tag: Mapped[str | None] = mapped_column(sa.String(30))
    timed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    time_limit_seconds: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The server's deadline; the countdown in the page only displays it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_position: Mapped[int] = mapped_column(default=0, server_default="0")

    questions: Mapped[list["AttemptQuestion"]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan",
        passive_deletes=True)
    exam = relationship("Exam")
    # Set by `start_quiz` when a source held fewer questions than asked, to tell the learner
    # once; a plain attribute, never stored.
    notice = None

    __table_args__ = (
        sa.CheckConstraint(f"mode IN ({sql_in(QuizMode)})", name="mode_known"),
        sa.CheckConstraint(f"status IN ({sql_in(AttemptStatus)})", name="status_known"),
        sa.CheckConstraint(f"source IN ({sql_in(QuestionSource)})", name="source_known"),
        sa.CheckConstraint("question_count > 0", name="question_count_positive"),
        # At most one quiz in progress per user, enforced by the database on both backends.
        sa.Index("uq_quiz_attempts_one_in_progress", "user_id", unique=True,
                 sqlite_where=sa.text(IN_PROGRESS_ONLY), postgresql_where=sa.text(IN_PROGRESS_ONLY)),
        sa.Index("ix_quiz_attempts_user_id_started_at", "user_id", "started_at"),
        NEVER_REUSE_IDS,
    )

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS


class AttemptQuestion(db.Model):
    __tablename__ = "attempt_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    # Choice ids in the order shown to this learner (shuffled once, at the start).
    choice_order: Mapped[list] = mapped_column(sa.JSON)
    selected_choice_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Ordering and matching items: {"order": [item id, ...]} or {"matches": {"item id": target id
    # or null}}; null until the learner first answers.
    response: Mapped[dict | None] = mapped_column(sa.JSON)
    marked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_spent_ms: Mapped[int] = mapped_column(default=0, server_default="0")
    is_correct: Mapped[bool | None]
    # Practice quizzes only (never simulations): sure, unsure or guessed, optional.
    confidence: Mapped[str | None] = mapped_column(sa.String(8))

    attempt: Mapped[QuizAttempt] = relationship(back_populates="questions")
    question = relationship("Question")

    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "question_id"),
        sa.CheckConstraint(f"confidence IS NULL OR confidence IN ({sql_in(Confidence)})", name="confidence_known"),
        NEVER_REUSE_IDS,
    )

    @property
    def current_order(self) -> list:
        """An ordering item's ids as the learner has them now: the saved order, else as shuffled."""
        return list((self.response or {}).get("order") or self.choice_order)

    @property
    def ordered_items(self) -> list:
        """An ordering question's items (choice rows) in `current_order`."""
        by_id = {choice.id: choice for choice in self.question.choices}
        return [by_id[item] for item in self.current_order if item in by_id]

    @property
    def current_matches(self) -> dict:
        """A matching item's saved target id per item id (a string key); absent or None when unmatched."""
        return dict((self.response or {}).get("matches") or {})

    @property
    def is_answered(self) -> bool:
        if self.response:
            return bool(self.response.get("order")) or any(
                target is not None for target in (self.response.get("matches") or {}).values())
        return bool(self.selected_choice_ids)


class AttemptResult(db.Model):
    """The scored result of an attempt, stored once: the primary key is the attempt."""

    __tablename__ = "attempt_results"

    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    correct: Mapped[int]
    total: Mapped[int]
    score_percent: Mapped[float] = mapped_column(sa.Float)
    scaled_score: Mapped[int | None]
    passed: Mapped[bool | None]
    time_used_seconds: Mapped[int]
    # Questions with a selection at scoring time: the XP and achievement rules need it.
    answered: Mapped[int] = mapped_column(default=0, server_default="0")
    xp_earned: Mapped[int] = mapped_column(default=0, server_default="0")
    # The complete submit response, so every later submit returns the identical body.
    body: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Answer(db.Model):
    """One answered question: of a completed attempt (`attempt_id`), or of a study session
    (`study_session_id`, mode `study`, written when the learner answers). Exactly one is set.
    The history analytics, goals, the streak and the source draws aggregate."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    study_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("study_sessions.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"))
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="RESTRICT"))
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("objectives.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(sa.String(10))
    is_correct: Mapped[bool]
    time_spent_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # This correct answer earned XP: its question had earned none for the user within
    # XP_RECREDIT_DAYS. Set at scoring; `flask gamification recompute` replays it.
    xp_awarded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Sure, unsure or guessed, when the learner rated the answer (practice and study).
    confidence: Mapped[str | None] = mapped_column(sa.String(8))

    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "question_id"),
        # One answer per question per study session: a second answer returns the first.
        sa.UniqueConstraint("study_session_id", "question_id"),
        sa.CheckConstraint("(attempt_id IS NULL) <> (study_session_id IS NULL)", name="one_origin"),
        sa.CheckConstraint(f"confidence IS NULL OR confidence IN ({sql_in(Confidence)})", name="confidence_known"),
        # Trends over time ranges, per user.
        sa.Index("ix_answers_user_id_answered_at", "user_id", "answered_at"),
        # Weak areas: accuracy per objective, per user.
        sa.Index("ix_answers_user_id_objective_id", "user_id", "objective_id", "is_correct"),
        # The "answered before" API rule (any exam).
        sa.Index("ix_answers_user_id_question_id_answered_at", "user_id", "question_id", "answered_at"),
        # "Unseen first, then longest ago" draws and the latest verdict per question (the `missed`,
        # `sure_wrong` and `lucky_guess` sources, the recommendations' counts): one backward probe
        # per question, in the rule's own order (answered_at, then id), read from the index alone
        # (migration 0016; before it PostgreSQL sorted and read the row for every probe).
        sa.Index("ix_answers_user_id_exam_id_question_id_answered_at_id", "user_id", "exam_id",
                 "question_id", "answered_at", "id", "is_correct", "confidence"),
        # Pacing (webapp/analytics/pacing.py): the timed answers of one exam, read from the index
        # alone, and the slowest ones in order (migration 0016).
        sa.Index("ix_answers_user_id_exam_id_time_spent_seconds", "user_id", "exam_id", "time_spent_seconds",
                 "objective_id", "question_id", "answered_at"),
        # Analytics (webapp/analytics/services.py): per-objective tallies of one exam, split at the
        # trend window, read from the index alone (migration 0012).
        sa.Index("ix_answers_user_id_exam_id_objective_id_answered_at_is_correct", "user_id", "exam_id",
                 "objective_id", "answered_at", "is_correct"),
        NEVER_REUSE_IDS,
    )

"""The learning engine's stored state: review cards, their review log, and mastery per objective.

Everything here is derived from `answers` and can be rebuilt from it (`flask reviews rebuild`):

- `ReviewCard`: one FSRS card per (learner, question), created by the learner's first answer to
  the question in any mode. Its columns are the `fsrs.Card` fields (state, step, stability,
  difficulty, due, last_review), so a card is loaded into `fsrs` and written back unchanged.
- `ReviewLog`: one row per answer that reviewed a card, with the rating the answer mapped to
  (webapp/learning/ratings.py). `answer_id` is unique, so an answer is never applied twice;
  the log is what an FSRS optimiser would be fitted on.
- `ObjectiveMastery`: the learner's recency-weighted tallies on one objective. Each answer
  counts with weight 2^(-age / MASTERY_HALF_LIFE_DAYS); the sums are kept as of `as_of`, so
  reading them later only multiplies by the decay since then (exponential decay is memoryless,
  which makes the stored figures exactly the live computation). `answers` and `correct` are the
  plain counts, for the minimums and the `basis` the readiness API reports.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import UTCDateTime

# fsrs.State values: 1 learning, 2 review, 3 relearning.
CARD_STATES = (1, 2, 3)
# fsrs.Rating values: 1 again, 2 hard, 3 good, 4 easy.
RATINGS = (1, 2, 3, 4)


class ReviewCard(db.Model):
    __tablename__ = "review_cards"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    # The question's exam, copied so the due counts per exam read this table alone.
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    state: Mapped[int] = mapped_column(sa.SmallInteger)
    step: Mapped[int | None] = mapped_column(sa.SmallInteger)
    stability: Mapped[float | None] = mapped_column(sa.Float)
    difficulty: Mapped[float | None] = mapped_column(sa.Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime] = mapped_column(UTCDateTime())
    reviews: Mapped[int] = mapped_column(default=0, server_default="0")
    lapses: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        sa.CheckConstraint(f"state IN {CARD_STATES}", name="state_known"),
        # "N reviews due" per exam and "most overdue first": one range scan per learner and exam.
        sa.Index("ix_review_cards_user_id_exam_id_due", "user_id", "exam_id", "due"),
    )


class ReviewLog(db.Model):
    __tablename__ = "review_logs"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    # The answer this review is; an answer reviews its card once.
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Milliseconds on the question, as fsrs.ReviewLog.review_duration.
    duration_ms: Mapped[int | None]

    __table_args__ = (
        sa.CheckConstraint(f"rating IN {RATINGS}", name="rating_known"),
        sa.Index("ix_review_logs_user_id_question_id_reviewed_at", "user_id", "question_id", "reviewed_at"),
        {"sqlite_autoincrement": True},
    )


class ObjectiveMastery(db.Model):
    __tablename__ = "objective_mastery"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    # Decayed sums as of `as_of`: sum of weights of all answers, and of the correct ones.
    weighted_answers: Mapped[float] = mapped_column(sa.Float)
    weighted_correct: Mapped[float] = mapped_column(sa.Float)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    answers: Mapped[int]
    correct: Mapped[int]

    __table_args__ = (
        # The exam page, the dashboard and readiness read one learner's objectives of one exam.
        sa.Index("ix_objective_mastery_user_id_exam_id", "user_id", "exam_id"),
    )

"""The question bank: exams, their domains and objectives, questions and their choices.

Questions carry learners' history (attempts, bookmarks, feedback), so they are never removed by
a cascade: an objective or exam that still has questions cannot be deleted (RESTRICT), and a
question is retired with `is_active = false` instead. The blueprint itself (domains,
objectives) cascades from its exam.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow

QUESTION_TYPES = ("single", "multiple", "ordering", "matching")
# Performance-based items: their choice rows are the items to order or match, there is no
# "correct" choice, and `select_count` is 1 (unused).
PBQ_TYPES = ("ordering", "matching")


class Exam(db.Model):
    """One exam version (SY0-701, N10-009...): its format and the blueprint it is tested on."""

    __tablename__ = "exams"
    # CompTIA reports scaled scores from 100 to 900.
    SCORE_SCALE = (100, 900)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The URL and API key (`exam_type` in the JSON API).
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    vendor: Mapped[str] = mapped_column(sa.String(60))
    # Starts every external_id of this exam's questions, so it must not be shared.
    id_prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    question_count: Mapped[int]
    duration_minutes: Mapped[int]
    passing_score: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    domains: Mapped[list["Domain"]] = relationship(
        back_populates="exam", order_by="Domain.position", cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        sa.CheckConstraint("question_count > 0", name="question_count_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint("passing_score BETWEEN 100 AND 900", name="passing_score_range"),
        NEVER_REUSE_IDS,
    )

    def __repr__(self) -> str:
        return f"<Exam {self.slug} {self.code}>"


class Domain(db.Model):
    """A numbered domain of an exam ("2.0 Threats, Vulnerabilities, and Mitigations") and its weight."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(200))
    weight_percent: Mapped[int]
    position: Mapped[int]

    exam: Mapped[Exam] = relationship(back_populates="domains")
    objectives: Mapped[list["Objective"]] = relationship(
        back_populates="domain", order_by="Objective.position", cascade="all, delete-orphan",
        passive_deletes=True)

    __table_args__ = (
        sa.UniqueConstraint("exam_id", "number"),
        sa.CheckConstraint("weight_percent BETWEEN 0 AND 100", name="weight_percent_range"),
        NEVER_REUSE_IDS,
    )

    def __repr__(self) -> str:
        return f"<Domain {self.exam_id} {self.number}>"


class Objective(db.Model):
    """An exam objective ("2.3 Explain various types of vulnerabilities"); questions map to one."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[int]

    exam: Mapped[Exam] = relationship()
    domain: Mapped[Domain] = relationship(back_populates="objectives")

    __table_args__ = (sa.UniqueConstraint("exam_id", "code"), NEVER_REUSE_IDS)

    def __repr__(self) -> str:
        return f"<Objective {self.exam_id} {self.code}>"


# The CHECK texts must stay identical to migration 0009's.
TYPE_KNOWN = "type IN ('single', 'multiple', 'ordering', 'matching')"
SELECT_COUNT_MATCHES_TYPE = ("(type = 'single' AND select_count = 1) OR (type = 'multiple' AND select_count >= 2) "
                             "OR (type IN ('ordering', 'matching') AND select_count = 1)")


class Question(db.Model):
    """A question: single or multiple choice, or a performance-based item (ordering, matching).
    `version` counts content changes, so history can tell them apart.

    For `ordering`, the choices are the items in their correct order (`position`). For `matching`,
    the choices are the left items and each one's `target` indexes `targets` (the right column);
    a target id in quizzes and the API is that index."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="RESTRICT"))
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("objectives.id", ondelete="RESTRICT"))
    # Stable forever: `<id_prefix>-<objective>-<NNN>`; imports upsert on it.
    external_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    type: Mapped[str] = mapped_column(sa.String(10))
    select_count: Mapped[int]
    stem: Mapped[str] = mapped_column(sa.Text)
    explanation: Mapped[str] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.Text)
    # Optional, shown above the stem: {"kind": "text", "title", "text"} or
    # {"kind": "table", "title", "columns", "rows"} (docs/QUESTION_FORMAT.md; checked on import).
    exhibit: Mapped[dict | None] = mapped_column(sa.JSON)
    # Matching only: the target texts in the author's order, and whether items may share one.
    targets: Mapped[list | None] = mapped_column(sa.JSON)
    reuse_targets: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    difficulty: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    flag_count: Mapped[int] = mapped_column(default=0, server_default="0")
    is_flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Set when enough learners report the key as wrong (FEEDBACK_WITHDRAW_AT open "incorrect"
    # reports): new draws leave the question out until an admin resolves the reports; quizzes
    # already holding it keep it. `is_active` stays the author's and admin's own switch.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the content last changed (set by the import, not on every write such as a flag).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    exam: Mapped[Exam] = relationship()
    objective: Mapped[Objective] = relationship()
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan",
        passive_deletes=True)

    __table_args__ = (
        sa.CheckConstraint(TYPE_KNOWN, name="type_known"),
        sa.CheckConstraint("select_count BETWEEN 1 AND 3", name="select_count_range"),
        sa.CheckConstraint(SELECT_COUNT_MATCHES_TYPE, name="select_count_matches_type"),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty_range"),
        sa.CheckConstraint("flag_count >= 0", name="flag_count_non_negative"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        # Quiz draws pick active questions by exam or by objective.
        sa.Index("ix_questions_exam_id_is_active", "exam_id", "is_active"),
        sa.Index("ix_questions_objective_id_is_active", "objective_id", "is_active"),
        NEVER_REUSE_IDS,
    )

    @property
    def correct_positions(self) -> list[int]:
        """Positions of the correct choices, in order."""
        return [choice.position for choice in self.choices if choice.is_correct]

    @property
    def is_pbq(self) -> bool:
        """An ordering or matching item (answered with an order or matches, not choices)."""
        return self.type in PBQ_TYPES

    @property
    def pbq_key(self) -> dict:
        """The correct `{"order": [item id, ...]}` or `{"matches": {"item id": target id}}` of an
        ordering or matching question."""
        if self.type == "ordering":
            return {"order": [item.id for item in self.choices]}
        return {"matches": {str(item.id): item.target for item in self.choices}}

    @property
    def shown_targets(self) -> list[tuple[int, str]]:
        """A matching question's (target id, text), alphabetically: the author's order could hint at the key."""
        return sorted(enumerate(self.targets or []), key=lambda pair: (pair[1].casefold(), pair[0]))

    def __repr__(self) -> str:
        return f"<Question {self.external_id} v{self.version}>"


class Choice(db.Model):
    """One answer option of a question, with why it is right or wrong."""

    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    # 0-based, in the author's order; quizzes shuffle per attempt.
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    is_correct: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    rationale: Mapped[str] = mapped_column(sa.Text)
    # Matching items only: the index in `Question.targets` of this item's correct target.
    target: Mapped[int | None]

    question: Mapped[Question] = relationship(back_populates="choices")

    __table_args__ = (
        sa.UniqueConstraint("question_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_non_negative"),
        NEVER_REUSE_IDS,
    )

    def __repr__(self) -> str:
        return f"<Choice {self.question_id}#{self.position}>"

"""Study sessions, bookmarks with tags, and private notes.

- `StudySession`: one untimed study run of one user over one exam (the roadmap's
  `study_sessions`; `exam_type` is the `exam_id` foreign key, as on `quiz_attempts`). It is
  never a quiz: it earns no XP and appears in no quiz history or leaderboard.
- `StudyQuestion`: a question as drawn into a session, with its shuffled choice order, the
  answer (once; a second answer returns the first result), a skip or "show answer", the
  learner's confidence and the time spent. An answered question also writes one `answers` row
  with mode `study` at once, so domain figures, goals and the streak count it.
- `QuestionBookmark`: the roadmap's `question_bookmarks` (primary key user and question). Its
  `notes` field in the API is the learner's one `QuestionNote` on that question, so a bookmark
  and the note can never disagree; the table keeps no second copy of the text.
- `BookmarkTag`: up to 5 tags per bookmark, case-insensitive per user (`tag_key` is the
  case-folded name; `name` keeps the spelling the learner first used).
- `QuestionNote`: one private note per learner per question, bookmarked or not.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow
from webapp.models.enums import Confidence, QuestionSource, sql_in

# The partial index's condition: the text must stay identical to migration 0010's.
OPEN_ONLY = "finished_at IS NULL"


class StudySession(db.Model):
    __tablename__ = "study_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(sa.String(12), default=QuestionSource.ALL.value,
                                        server_default=QuestionSource.ALL.value)
    # The tag of a `bookmarked` source, as the learner spelled it; null for every other source.
    source_tag: Mapped[str | None] = mapped_column(sa.String(30))
    # Objective codes the learner chose; null means the whole exam.
    objective_codes: Mapped[list | None] = mapped_column(sa.JSON)
    question_count: Mapped[int]
    questions_viewed: Mapped[int] = mapped_column(default=0, server_default="0")
    time_spent_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    current_position: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Null while the session is open.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    questions: Mapped[list["StudyQuestion"]] = relationship(
        back_populates="session", order_by="StudyQuestion.position", cascade="all, delete-orphan",
        passive_deletes=True)
    exam = relationship("Exam")
    # The progress figures a write of this request has just counted (webapp.study.services
    # `counted_progress`); a plain attribute, never stored.
    counted = None

    __table_args__ = (
        sa.CheckConstraint(f"source IN ({sql_in(QuestionSource)})", name="source_known"),
        sa.CheckConstraint("question_count > 0", name="question_count_positive"),
        # At most one open study session per user, enforced by the database on both backends.
        sa.Index("uq_study_sessions_one_open", "user_id", unique=True,
                 sqlite_where=sa.text(OPEN_ONLY), postgresql_where=sa.text(OPEN_ONLY)),
        sa.Index("ix_study_sessions_user_id_created_at", "user_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    @property
    def is_open(self) -> bool:
        return self.finished_at is None


class StudyQuestion(db.Model):
    __tablename__ = "study_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("study_sessions.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    # Choice (or item) ids in the order shown to this learner, shuffled once at the start.
    choice_order: Mapped[list] = mapped_column(sa.JSON)
    # The answer as given, once: {"choice_ids": [...]}, {"order": [...]} or {"matches": {...}}.
    response: Mapped[dict | None] = mapped_column(sa.JSON)
    is_correct: Mapped[bool | None]
    confidence: Mapped[str | None] = mapped_column(sa.String(8))
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "Show answer" on a skipped question: the explanation was shown without an answer.
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_spent_ms: Mapped[int] = mapped_column(default=0, server_default="0")

    session: Mapped[StudySession] = relationship(back_populates="questions")
    question = relationship("Question")

    __table_args__ = (
        sa.UniqueConstraint("session_id", "position"),
        sa.UniqueConstraint("session_id", "question_id"),
        sa.CheckConstraint(f"confidence IS NULL OR confidence IN ({sql_in(Confidence)})", name="confidence_known"),
        NEVER_REUSE_IDS,
    )

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def shows_explanation(self) -> bool:
        """The key and explanation may be shown: answered, or skipped and then revealed."""
        return self.answered_at is not None or self.revealed_at is not None


class QuestionBookmark(db.Model):
    __tablename__ = "question_bookmarks"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tags: Mapped[list["BookmarkTag"]] = relationship(
        back_populates="bookmark", order_by="BookmarkTag.tag_key", cascade="all, delete-orphan",
        passive_deletes=True)
    question = relationship("Question")

    __table_args__ = (
        # The bookmarks page: newest first, per user.
        sa.Index("ix_question_bookmarks_user_id_created_at", "user_id", "created_at"),
    )


class BookmarkTag(db.Model):
    __tablename__ = "bookmark_tags"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(primary_key=True)
    tag_key: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30))

    bookmark: Mapped[QuestionBookmark] = relationship(back_populates="tags")

    __table_args__ = (
        sa.ForeignKeyConstraint(["user_id", "question_id"],
                                ["question_bookmarks.user_id", "question_bookmarks.question_id"],
                                ondelete="CASCADE", name="fk_bookmark_tags_bookmark"),
        # Filtering one user's bookmarks by a tag.
        sa.Index("ix_bookmark_tags_user_id_tag_key", "user_id", "tag_key"),
    )


class QuestionNote(db.Model):
    __tablename__ = "question_notes"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question = relationship("Question")

    __table_args__ = (
        sa.Index("ix_question_notes_user_id_updated_at", "user_id", "updated_at"),
    )

"""Closed sets of values, defined once. Models, services, forms, API schemas and templates
import these; a template shows one through the `label` filter, never by re-spelling it."""

from __future__ import annotations

from enum import StrEnum


class QuizMode(StrEnum):
    """How questions are taken. Practice quizzes and simulations are scored; study is not."""

    PRACTICE = "practice"
    EXAM = "exam"
    STUDY = "study"

    @property
    def label(self) -> str:
        return {"practice": "Practice quiz", "exam": "Exam simulation", "study": "Study"}[self.value]

    @classmethod
    def scored(cls) -> tuple[QuizMode, ...]:
        """The modes that count as quizzes: results, XP, quiz counts and average scores."""
        return (cls.PRACTICE, cls.EXAM)


class AttemptStatus(StrEnum):
    """Where a quiz attempt stands."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"

    @property
    def label(self) -> str:
        return {"in_progress": "In progress", "completed": "Completed", "abandoned": "Abandoned"}[self.value]


class ReviewFilter(StrEnum):
    """Which questions of a finished attempt the review lists."""

    ALL = "all"
    WRONG = "wrong"
    MARKED = "marked"

    @property
    def label(self) -> str:
        return {"all": "All", "wrong": "Wrong only", "marked": "Marked only"}[self.value]


class QuestionSource(StrEnum):
    """Where a practice quiz or study session draws its questions from."""

    ALL = "all"
    UNSEEN = "unseen"
    MISSED = "missed"
    BOOKMARKED = "bookmarked"
    MARKED = "marked"
    DUE = "due"
    SURE_WRONG = "sure_wrong"
    LUCKY_GUESS = "lucky_guess"

    @property
    def label(self) -> str:
        return {"all": "All questions", "unseen": "Never answered", "missed": "Missed last time",
                "bookmarked": "Bookmarked", "marked": "Marked for review",
                "due": "Reviews due", "sure_wrong": "Confidently wrong",
                "lucky_guess": "Lucky guesses"}[self.value]

    @property
    def description(self) -> str:
        """What the source holds, in the learner's words (the start form's help)."""
        return {"all": "Every question of the exam (or of the objectives you choose).",
                "unseen": "Questions you have not answered yet, in any quiz or study session.",
                "missed": "Questions your most recent answer got wrong (an unanswered quiz question counts as wrong).",
                "bookmarked": "Your bookmarked questions; with a tag, only those bookmarks.",
                "marked": "Questions you marked for review in a finished quiz or simulation.",
                "due": "Questions your spaced-review schedule says are due, most overdue first.",
                "sure_wrong": "Questions your most recent answer got wrong although you marked it “sure”.",
                "lucky_guess": "Questions your most recent answer got right although you marked it “guessed”."}[self.value]


class Confidence(StrEnum):
    """How sure the learner was of an answer (optional; one keypress: S, U or G)."""

    SURE = "sure"
    UNSURE = "unsure"
    GUESSED = "guessed"

    @property
    def label(self) -> str:
        return {"sure": "Sure", "unsure": "Unsure", "guessed": "Guessed"}[self.value]


class FeedbackType(StrEnum):
    """What a learner says is wrong with a question (`question_feedback.feedback_type`)."""

    INCORRECT = "incorrect"
    TYPO = "typo"
    UNCLEAR = "unclear"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"incorrect": "Wrong answer or fact", "typo": "Typo", "unclear": "Unclear wording",
                "other": "Something else"}[self.value]

    @property
    def needs_comment(self) -> bool:
        """A comment is required: the report says nothing useful without one."""
        return self in (FeedbackType.INCORRECT, FeedbackType.OTHER)


class FeedbackStatus(StrEnum):
    """Where a report stands. Only a pending report is open: it counts towards `flag_count`."""

    PENDING = "pending"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"pending": "Open", "resolved": "Resolved", "dismissed": "Dismissed"}[self.value]


class VersionOrigin(StrEnum):
    """Who wrote a `QuestionVersion`: the bank import or an admin in the editor (the values of
    question_versions' `origin_known` CHECK)."""

    IMPORT = "import"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"import": "Bank import", "admin": "Admin edit"}[self.value]


class AnalyticsPeriod(StrEnum):
    """The window of the performance analytics: the learner's last 7, 30 or 90 local days, or all."""

    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All time"}[self.value]

    @property
    def days(self) -> int | None:
        """How many local days the window spans, today included; None for all time."""
        return {"7d": 7, "30d": 30, "90d": 90, "all": None}[self.value]


class Trend(StrEnum):
    """Where an objective's accuracy is heading (docs/API.md, "Analytics": the test that decides)."""

    IMPROVING = "improving"
    DECLINING = "declining"
    STABLE = "stable"

    @property
    def label(self) -> str:
        return {"improving": "Improving", "declining": "Declining", "stable": "Stable"}[self.value]


class GoalType(StrEnum):
    """A daily goal: questions answered, or minutes spent answering, in the learner's local day."""

    DAILY_QUESTIONS = "daily_questions"
    DAILY_MINUTES = "daily_minutes"

    @property
    def label(self) -> str:
        return {"daily_questions": "Questions a day", "daily_minutes": "Minutes a day"}[self.value]


class DigestStatus(StrEnum):
    """Where a learner's weekly digest stands (`digest_log.status`)."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"sending": "Sending", "sent": "Sent", "failed": "Failed"}[self.value]


class RecommendationKind(StrEnum):
    """What a practice recommendation suggests (webapp/recommendations/services.py; docs/API.md)."""

    DIAGNOSTIC = "diagnostic"
    WEAK_OBJECTIVE = "weak_objective"
    STALE_EXAM = "stale_exam"
    UNSEEN = "unseen"
    MISSED = "missed"
    GOAL_AT_RISK = "goal_at_risk"
    READY_FOR_SIMULATION = "ready_for_simulation"
    DUE_REVIEWS = "due_reviews"

    @property
    def label(self) -> str:
        return {"diagnostic": "Diagnostic quiz", "weak_objective": "Weak objective", "stale_exam": "Not practised lately",
                "unseen": "New questions", "missed": "Missed questions", "goal_at_risk": "Goal at risk",
                "ready_for_simulation": "Ready for a simulation", "due_reviews": "Reviews due"}[self.value]


LABELLED: tuple[type[StrEnum], ...] = (QuizMode, AttemptStatus, ReviewFilter, QuestionSource, Confidence,
                                       FeedbackType, FeedbackStatus, VersionOrigin, AnalyticsPeriod, Trend, GoalType,
                                       DigestStatus, RecommendationKind)


def label(value: object) -> str:
    """The display label of a mode, status, review filter, source or confidence, given the member
    or its stored string (the `label` template filter). Anything else is shown as it is.

    A member always gets its own label: some values are shared ("all" and "marked" are both a
    review filter and a source), so a stored string resolves to the first enum that has it, in
    LABELLED order; pass the member (`QuestionSource(attempt.source)`) for a source."""
    if isinstance(value, LABELLED):
        return value.label
    for enum in LABELLED:
        try:
            return enum(value).label
        except ValueError:
            continue
    return str(value)


def sql_in(enum: type[StrEnum]) -> str:
    """`'a', 'b'` for a CHECK constraint that admits exactly the enum's values."""
    return ", ".join(f"'{member.value}'" for member in enum)

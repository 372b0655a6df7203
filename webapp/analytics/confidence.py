"""Confidence-aware review lists (docs/LEARNING.md, "Confidence-aware review lists").

- "Confidently wrong": answers marked "sure" that were wrong. The learner believes something
  false and does not know it, so these are the highest-value items to review.
- "Lucky guesses": answers marked "guessed" that were right. The score credits knowledge the
  learner does not have yet.

Two scopes, one rule each:
- a completed quiz's result shows that attempt's own items, as scored;
- /progress shows, for the chosen exam, the learner's latest answer per question: exactly the
  `sure_wrong` and `lucky_guess` sources of webapp/quiz/sources.py (the same query the "Study
  these" buttons draw from), so the list and the session it starts never disagree.

The lists are hidden when no answer in scope carried a rating (`rated`), and each shows at most
CONFIDENCE_LIST_SHOWN items with the count of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from webapp.analytics.pacing import stem_excerpt
from webapp.analytics.services import _code_key
from webapp.extensions import db
from webapp.models import Answer, Confidence, Exam, Objective, Question, QuestionSource, QuizAttempt, User
from webapp.quiz.sources import SourceChoice, restrict_to_source, scope_query

LIST_SOURCES = (QuestionSource.SURE_WRONG, QuestionSource.LUCKY_GUESS)


@dataclass(frozen=True)
class ConfidenceItem:
    question_id: int
    objective_code: str
    stem: str  # an excerpt
    position: int | None  # 0-based place in the attempt (a result page's list); None on /progress


@dataclass(frozen=True)
class ConfidenceList:
    source: QuestionSource  # sure_wrong or lucky_guess
    items: list[ConfidenceItem]  # at most CONFIDENCE_LIST_SHOWN
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ConfidenceLists:
    exam: Exam
    rated: bool  # some answer in scope carried a rating; the lists show only then
    lists: list[ConfidenceList]  # confidently wrong, then lucky guesses


def _capped(source: QuestionSource, items: list[ConfidenceItem]) -> ConfidenceList:
    return ConfidenceList(source, items[:current_app.config["CONFIDENCE_LIST_SHOWN"]], len(items))


def attempt_confidence_lists(attempt: QuizAttempt) -> ConfidenceLists:
    """A completed attempt's confidently wrong and lucky items, in question order. `attempt` must
    have its questions, their questions and objectives loaded (quiz.services.with_questions)."""
    found: dict[QuestionSource, list[ConfidenceItem]] = {source: [] for source in LIST_SOURCES}
    rated = False
    for aq in attempt.questions:
        if aq.confidence is None:
            continue
        rated = True
        source = _source_of(bool(aq.is_correct), aq.confidence)
        if source is not None:
            found[source].append(ConfidenceItem(aq.question_id, aq.question.objective.code,
                                                stem_excerpt(aq.question.stem), aq.position))
    return ConfidenceLists(attempt.exam, rated, [_capped(source, found[source]) for source in LIST_SOURCES])


def _source_of(is_correct: bool, confidence: str) -> QuestionSource | None:
    """Which list one rated answer belongs to (the sources' rule, for one attempt's rows)."""
    if confidence == Confidence.SURE and not is_correct:
        return QuestionSource.SURE_WRONG
    if confidence == Confidence.GUESSED and is_correct:
        return QuestionSource.LUCKY_GUESS
    return None


def confidence_lists(user: User, exam: Exam) -> ConfidenceLists:
    """The learner's lists on an exam they may see, by their latest answer to each question
    (the `sure_wrong` and `lucky_guess` sources), in objective order."""
    lists = []
    for source in LIST_SOURCES:
        query = (restrict_to_source(scope_query(exam, None), user, exam, SourceChoice(source))
                 .add_columns(Objective.code, Question.stem))
        rows = sorted(db.session.execute(query), key=lambda row: (_code_key(row.code), row.id))
        shown = rows[:current_app.config["CONFIDENCE_LIST_SHOWN"]]
        lists.append(ConfidenceList(source, [ConfidenceItem(row.id, row.code, stem_excerpt(row.stem), None)
                                             for row in shown], len(rows)))
    # An item in either list is a rated answer; only with both empty does it take a look.
    rated = any(found.total for found in lists) or bool(db.session.scalar(sa.select(sa.exists().where(
        Answer.user_id == user.id, Answer.exam_id == exam.id, Answer.confidence.is_not(None)))))
    return ConfidenceLists(exam, rated, lists)

"""Helpers of the editor tests: learners with a history on a question, and reports on it."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import META, choice_ids
from webapp.extensions import db
from webapp.feedback.services import lock_question, refresh_flags
from webapp.models import Answer, FeedbackType, QuestionFeedback, QuizMode, User
from webapp.quiz import services as quiz
from webapp.study import services as study


def take_quiz(user_id: int, exam_slug: str, mode: QuizMode, question_id: int, chosen: list[int],
              count: int = 6) -> int:
    """`user_id` takes a quiz of `count` questions (the whole of a small exam), answering `question_id` with `chosen` and
    every other question right; returns the attempt id. Call inside an app context."""
    user = db.session.get(User, user_id)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam_slug, mode=mode, count=None if mode == QuizMode.EXAM else count))
    for aq in quiz.with_questions(attempt).questions:
        picked = chosen if aq.question_id == question_id else choice_ids(aq.question_id)
        quiz.save_answer(user, attempt.id, aq.question_id, picked)
    attempt_id = attempt.id
    quiz.submit_attempt(user, attempt_id)
    return attempt_id


def study_answer(user_id: int, exam_slug: str, question_id: int, chosen: list[int], count: int = 6) -> int:
    """`user_id` answers `question_id` with `chosen` in a study session of `count` questions (the
    whole of a small exam); returns the session id."""
    user = db.session.get(User, user_id)
    session = study.start_session(user, study.StudyRequest(exam_slug, count=count), end_open=True)
    session_id = session.id
    study.answer_question(user, session_id, question_id, choice_ids=chosen)
    return session_id


def verdicts(question_id: int) -> dict[str, list[bool]]:
    """The `answers.is_correct` of a question by mode."""
    found: dict[str, list[bool]] = {}
    for mode, correct in db.session.execute(sa.select(Answer.mode, Answer.is_correct)
                                            .where(Answer.question_id == question_id).order_by(Answer.id)):
        found.setdefault(mode, []).append(correct)
    return found


def report(user_id: int, question_id: int, kind: FeedbackType = FeedbackType.INCORRECT) -> int:
    """An open report by `user_id`, with the flags recounted as the feedback service does."""
    lock_question(question_id)
    row = QuestionFeedback(user_id=user_id, question_id=question_id, feedback_type=kind.value, comment="Wrong key.")
    db.session.add(row)
    db.session.flush()
    refresh_flags(question_id)
    db.session.commit()
    return row.id


__all__ = ["META", "report", "study_answer", "take_quiz", "verdicts"]

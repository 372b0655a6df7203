"""The confidence-aware review lists (docs/LEARNING.md): only rated answers, the latest answer per
question wins on /progress (exactly the sure_wrong and lucky_guess sources), an attempt's own
items on its result, hidden without a rating, and capped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import gen_bank, gen_timed_answers, gen_timed_quiz, gen_user
from webapp.analytics import confidence
from webapp.extensions import db
from webapp.models import Confidence, Exam, Question, QuestionSource, QuizAttempt, User
from webapp.models.base import utcnow
from webapp.quiz.services import with_questions
from webapp.quiz.sources import SourceChoice, source_candidates

SURE, UNSURE, GUESSED = Confidence.SURE.value, Confidence.UNSURE.value, Confidence.GUESSED.value


@pytest.fixture
def questions(app):
    exam = gen_bank(app, per_objective=3)
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)))
        for row in rows:
            db.session.expunge(row)
    return exam, rows


def _ids(found: confidence.ConfidenceLists) -> dict[str, list[int]]:
    return {listed.source.value: [item.question_id for item in listed.items] for listed in found.lists}


def test_an_attempts_lists_hold_its_sure_wrong_and_guessed_right_items(app, questions):
    """Of sure/wrong, sure/right, guessed/right, guessed/wrong, unsure/wrong and unrated/wrong, only
    the first is confidently wrong and the third a lucky guess, with their places in the quiz."""
    _exam, rows = questions
    learner = gen_user(app, username="rater")
    ratings = [(SURE, False), (SURE, True), (GUESSED, True), (GUESSED, False), (UNSURE, False), (None, False)]
    attempt_id = gen_timed_quiz(app, learner, [{"question": q, "seconds": 30, "confidence": c, "correct": right}
                                               for q, (c, right) in zip(rows, ratings)])
    with app.app_context():
        found = confidence.attempt_confidence_lists(with_questions(db.session.get(QuizAttempt, attempt_id)))
    assert found.rated is True
    assert _ids(found) == {"sure_wrong": [rows[0].id], "lucky_guess": [rows[2].id]}
    assert (found.lists[1].items[0].position, found.lists[1].items[0].objective_code) == (2, "1.1")


def test_an_attempt_without_a_rating_hides_the_lists(app, questions):
    """A quiz with no rated answer (every simulation) has `rated` False and empty lists."""
    _exam, rows = questions
    learner = gen_user(app, username="silent")
    attempt_id = gen_timed_quiz(app, learner, [{"question": q, "seconds": 30, "correct": False} for q in rows[:3]])
    with app.app_context():
        found = confidence.attempt_confidence_lists(with_questions(db.session.get(QuizAttempt, attempt_id)))
    assert (found.rated, [listed.total for listed in found.lists]) == (False, [0, 0])


@pytest.fixture
def history(app, questions):
    """q0 sure-wrong then (later) right unrated; q1 guessed-right then sure-wrong; q2 wrong unrated;
    q3 guessed-right; q4 sure-wrong (objective 1.2); q5 sure-right."""
    exam, rows = questions
    learner = gen_user(app, username="history")
    earlier, later = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
    gen_timed_answers(app, learner, [
        {"question": rows[0], "seconds": 10, "correct": False, "confidence": SURE, "answered_at": earlier},
        {"question": rows[0], "seconds": 10, "correct": True, "answered_at": later},
        {"question": rows[1], "seconds": 10, "correct": True, "confidence": GUESSED, "answered_at": earlier},
        {"question": rows[1], "seconds": 10, "correct": False, "confidence": SURE, "answered_at": later},
        {"question": rows[2], "seconds": 10, "correct": False},
        {"question": rows[3], "seconds": 10, "correct": True, "confidence": GUESSED},
        {"question": rows[4], "seconds": 10, "correct": False, "confidence": SURE},
        {"question": rows[5], "seconds": 10, "correct": True, "confidence": SURE}])
    return exam, rows, learner


def test_progress_lists_follow_the_latest_answer_and_rated_answers_only(app, history):
    """The latest answer wins (q0 drops out, q1 moves to confidently wrong); an unrated wrong answer is in neither."""
    exam, rows, learner = history
    with app.app_context():
        found = confidence.confidence_lists(db.session.get(User, learner.id), db.session.get(Exam, exam.id))
    assert found.rated is True
    assert _ids(found) == {"sure_wrong": [rows[1].id, rows[4].id], "lucky_guess": [rows[3].id]}
    assert [item.objective_code for item in found.lists[0].items] == ["1.1", "1.2"]


def test_progress_lists_are_exactly_the_study_sources(app, history):
    """Each list holds the questions its source draws (the same query "Study these" starts from)."""
    exam, _rows, learner = history
    with app.app_context():
        user, found_exam = db.session.get(User, learner.id), db.session.get(Exam, exam.id)
        found = confidence.confidence_lists(user, found_exam)
        for listed in found.lists:
            drawn = {row[0] for row in source_candidates(user, found_exam, None, SourceChoice(listed.source))}
            assert {item.question_id for item in listed.items} == drawn and drawn


def test_progress_lists_are_hidden_without_a_rating_and_capped(app, history, questions, monkeypatch):
    """A learner with only unrated answers gets `rated` False; CONFIDENCE_LIST_SHOWN 1 shows one of two, one more."""
    exam, rows, learner = history
    plain = gen_user(app, username="plain")
    gen_timed_answers(app, plain, [{"question": rows[0], "seconds": 5, "correct": False}])
    monkeypatch.setitem(app.config, "CONFIDENCE_LIST_SHOWN", 1)
    with app.app_context():
        found_exam = db.session.get(Exam, exam.id)
        hidden = confidence.confidence_lists(db.session.get(User, plain.id), found_exam)
        capped = confidence.confidence_lists(db.session.get(User, learner.id), found_exam)
    assert hidden.rated is False and [listed.items for listed in hidden.lists] == [[], []]
    sure_wrong = capped.lists[0]
    assert (sure_wrong.source, len(sure_wrong.items), sure_wrong.total, sure_wrong.more) == (
        QuestionSource.SURE_WRONG, 1, 2, 1)

"""The rating map (the issue's table): every row, the pace, the thresholds read from config, and
the boundaries where a rating changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fsrs import Rating

from tests.factories import gen_exam, gen_question, gen_user
from webapp.extensions import db
from webapp.learning.ratings import pace_seconds, rating_for
from webapp.learning.reviews import AnswerFact, record_reviews
from webapp.models import Confidence, Exam, ReviewLog
from webapp.models.base import utcnow

PACE = 72.0  # QUIZ_SECONDS_PER_QUESTION
SURE, UNSURE, GUESSED = Confidence.SURE.value, Confidence.UNSURE.value, Confidence.GUESSED.value


def _rate(correct: bool, confidence: str | None, seconds: float, hard: float = 2.0, easy: float = 1.0) -> Rating:
    return rating_for(correct, confidence, seconds, PACE, hard, easy)


# (verdict, confidence, seconds, rating): one line per row of the table, every confidence.
TABLE = [
    # Wrong: Again, whatever the confidence and the time.
    (False, None, 10, Rating.Again), (False, SURE, 10, Rating.Again), (False, UNSURE, 500, Rating.Again),
    (False, GUESSED, 30, Rating.Again),
    # Right but "guessed" (even fast), or slower than twice the pace (even "sure"): Hard.
    (True, GUESSED, 5, Rating.Hard), (True, GUESSED, 200, Rating.Hard), (True, SURE, 145, Rating.Hard),
    (True, None, 145, Rating.Hard), (True, UNSURE, 300, Rating.Hard),
    # Right: Good (no rating, "unsure", or "sure" but not fast).
    (True, None, 10, Rating.Good), (True, UNSURE, 10, Rating.Good), (True, SURE, 73, Rating.Good),
    (True, None, 144, Rating.Good),
    # Right, "sure" and fast (within the pace): Easy.
    (True, SURE, 10, Rating.Easy), (True, SURE, 0, Rating.Easy),
]


@pytest.mark.parametrize(("correct", "confidence", "seconds", "rating"), TABLE)
def test_every_row_of_the_table(correct, confidence, seconds, rating):
    """Each verdict, confidence and time maps to the rating of the issue's table."""
    assert _rate(correct, confidence, seconds) == rating


def test_the_boundaries_are_inclusive_at_the_pace_and_at_twice_the_pace():
    """Exactly 2 x pace is still not slow (Good), a second more is Hard; exactly the pace is still fast (Easy)."""
    assert _rate(True, UNSURE, 2 * PACE) == Rating.Good
    assert _rate(True, UNSURE, 2 * PACE + 1) == Rating.Hard
    assert _rate(True, SURE, PACE) == Rating.Easy
    assert _rate(True, SURE, PACE + 1) == Rating.Good
    assert _rate(True, SURE, 2 * PACE + 1) == Rating.Hard


def test_the_ratios_move_the_boundaries():
    """With ratios 1.5 and 0.5 the boundaries sit at 108 s and 36 s."""
    assert _rate(True, None, 108, hard=1.5, easy=0.5) == Rating.Good
    assert _rate(True, None, 109, hard=1.5, easy=0.5) == Rating.Hard
    assert _rate(True, SURE, 36, hard=1.5, easy=0.5) == Rating.Easy
    assert _rate(True, SURE, 37, hard=1.5, easy=0.5) == Rating.Good


def test_the_pace_is_the_configured_seconds_per_question(app, ctx, monkeypatch):
    """The pace is QUIZ_SECONDS_PER_QUESTION (72 s, the pace practice quizzes are timed at) and
    follows the config."""
    exam = db.session.get(Exam, gen_exam(app).id)
    assert pace_seconds(exam) == PACE == app.config["QUIZ_SECONDS_PER_QUESTION"]
    monkeypatch.setitem(app.config, "QUIZ_SECONDS_PER_QUESTION", 90)
    assert pace_seconds(exam) == 90.0


def test_stored_reviews_use_the_thresholds_from_config(app, ctx, monkeypatch):
    """record_reviews rates with REVIEW_HARD_PACE_RATIO and REVIEW_EASY_PACE_RATIO as configured
    (here 1.5 and 0.5 of 72 s): 109 s is Hard, 37 s "sure" is Good, 36 s "sure" is Easy."""
    from webapp.models import Answer, QuizMode, StudySession

    monkeypatch.setitem(app.config, "REVIEW_HARD_PACE_RATIO", 1.5)
    monkeypatch.setitem(app.config, "REVIEW_EASY_PACE_RATIO", 0.5)
    exam = gen_exam(app)
    user = gen_user(app)
    cases = [(109, None, Rating.Hard), (37, SURE, Rating.Good), (36, SURE, Rating.Easy), (108, None, Rating.Good)]
    questions = [gen_question(app, exam) for _ in cases]
    facts = []
    session = StudySession(user_id=user.id, exam_id=exam.id, question_count=len(cases), created_at=utcnow(),
                           last_activity_at=utcnow())
    db.session.add(session)
    db.session.flush()
    for question, (seconds, confidence, _rating) in zip(questions, cases):
        answer = Answer(user_id=user.id, study_session_id=session.id, question_id=question.id, exam_id=exam.id,
                        objective_id=question.objective_id,
                        mode=QuizMode.STUDY.value, is_correct=True, confidence=confidence, time_spent_seconds=seconds,
                        answered_at=utcnow())
        db.session.add(answer)
        db.session.flush()
        facts.append(AnswerFact(answer.id, question.id, exam.id, question.objective_id, True, confidence, seconds,
                                answer.answered_at))
    record_reviews(user.id, facts)
    db.session.commit()
    logged = dict(db.session.execute(sa.select(ReviewLog.answer_id, ReviewLog.rating)).all())
    assert [logged[fact.answer_id] for fact in facts] == [int(rating) for *_rest, rating in cases]

"""Building blocks of the spaced-review tests: answers given through the app's own study and quiz
services at chosen moments, and snapshots of the stored cards and review log; and the mastery
model's learning term computed by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from fsrs import Rating, Scheduler

from tests.factories import choice_ids, gen_exam, gen_question, gen_study_answer
from webapp.extensions import db
from webapp.learning import services as learning
from webapp.models import Confidence, Question, QuizMode, ReviewCard, ReviewLog, User
from webapp.quiz import services as quiz
from webapp.study import services as study

# A Monday morning, UTC: every scenario's day 0.
DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Step:
    """One answer to the question: when, in which mode, right or wrong, the confidence, the seconds."""

    at: datetime
    mode: QuizMode
    correct: bool
    confidence: str | None
    seconds: int


STUDY, PRACTICE = QuizMode.STUDY, QuizMode.PRACTICE
SURE, UNSURE, GUESSED = Confidence.SURE.value, Confidence.UNSURE.value, Confidence.GUESSED.value

# Each answer and the rating the table gives it (the pace is 72 s).
SCENARIO = [
    (Step(DAY0, STUDY, False, None, 30), Rating.Again),  # a new card, wrong
    (Step(DAY0 + timedelta(hours=3), STUDY, True, SURE, 20), Rating.Easy),  # sure and fast, same day
    (Step(DAY0 + timedelta(days=2), PRACTICE, True, GUESSED, 40), Rating.Hard),  # a guess, in a quiz
    (Step(DAY0 + timedelta(days=9, hours=5), STUDY, True, UNSURE, 150), Rating.Hard),  # right but over 2 x pace
    (Step(DAY0 + timedelta(days=30), STUDY, True, None, 50), Rating.Good),
    (Step(DAY0 + timedelta(days=75), PRACTICE, False, SURE, 10), Rating.Again),  # a lapse, in a quiz
    (Step(DAY0 + timedelta(days=76), STUDY, True, SURE, 15), Rating.Easy),  # relearnt
    (Step(DAY0 + timedelta(days=140), PRACTICE, True, UNSURE, 30), Rating.Good),
]


def fsrs_scheduler(config) -> Scheduler:
    """The scheduler the configuration describes, built here from the keys (not by the app)."""
    return Scheduler(desired_retention=config["REVIEW_DESIRED_RETENTION"],
                     learning_steps=tuple(timedelta(minutes=m) for m in config["REVIEW_LEARNING_STEPS_MINUTES"]),
                     relearning_steps=tuple(timedelta(minutes=m) for m in config["REVIEW_RELEARNING_STEPS_MINUTES"]),
                     maximum_interval=config["REVIEW_MAXIMUM_INTERVAL_DAYS"], enable_fuzzing=False)


def small_exam(app, slug: str = "review", questions: int = 5):
    """An exam of `questions` single-answer questions (5: the smallest quiz takes them all), by id."""
    exam = gen_exam(app, slug=slug)
    made = [gen_question(app, exam, objective=("1.1", "1.2", "2.1")[n % 3]) for n in range(questions)]
    return exam, [question.id for question in made]


def _choices(question_id: int, correct: bool) -> list[int]:
    return choice_ids(question_id, True) if correct else choice_ids(question_id, False)[:1]


def answer_in_study(user_id: int, slug: str, question_id: int, correct: bool, confidence: str | None, seconds: int,
                    at: datetime, count: int = 5) -> None:
    """A study session opened `seconds` before `at` holding the question; it is answered at `at`
    (so `seconds` are credited to it) and the session finished. Inside an app context."""
    user = db.session.get(User, user_id)
    session = study.start_session(user, study.StudyRequest(slug, count=count), now=at - timedelta(seconds=seconds))
    session_id = session.id
    study.answer_question(user, session_id, question_id, choice_ids=_choices(question_id, correct),
                          confidence=confidence, now=at)
    study.finish_session(user, session_id, now=at)


def answer_in_practice(user_id: int, slug: str, question_id: int, correct: bool, confidence: str | None, seconds: int,
                       at: datetime, count: int = 5) -> int:
    """An untimed practice quiz of the whole small exam started `seconds` before `at`, the question
    answered at `at` and the quiz submitted at once (its other questions unanswered). Returns its id."""
    user = db.session.get(User, user_id)
    attempt = quiz.start_quiz(user, quiz.QuizRequest(slug, count=count, timed=False),
                              now=at - timedelta(seconds=seconds))
    attempt_id = attempt.id
    quiz.save_answer(user, attempt_id, question_id, _choices(question_id, correct),
                     confidence=confidence if confidence is not None else quiz.UNCHANGED, now=at)
    quiz.submit_attempt(user, attempt_id, now=at)
    return attempt_id


def answer(user_id: int, slug: str, question_id: int, step: Step) -> None:
    """Give `step`'s answer through the service of its mode."""
    give = answer_in_study if step.mode == QuizMode.STUDY else answer_in_practice
    give(user_id, slug, question_id, step.correct, step.confidence, step.seconds, step.at)


def card_of(user_id: int, question_id: int) -> ReviewCard:
    db.session.expire_all()
    return db.session.get(ReviewCard, (user_id, question_id))


def snapshot() -> tuple[list[tuple], list[tuple]]:
    """Every card and every review log row (without the log's surrogate id), in key order."""
    db.session.expire_all()
    cards = db.session.execute(sa.select(
        ReviewCard.user_id, ReviewCard.question_id, ReviewCard.exam_id, ReviewCard.state, ReviewCard.step,
        ReviewCard.stability, ReviewCard.difficulty, ReviewCard.due, ReviewCard.last_review, ReviewCard.reviews,
        ReviewCard.lapses).order_by(ReviewCard.user_id, ReviewCard.question_id)).all()
    logs = db.session.execute(sa.select(
        ReviewLog.user_id, ReviewLog.question_id, ReviewLog.answer_id, ReviewLog.rating, ReviewLog.reviewed_at,
        ReviewLog.duration_ms).order_by(ReviewLog.answer_id)).all()
    return [tuple(row) for row in cards], [tuple(row) for row in logs]


def question(question_id: int) -> Question:
    return db.session.get(Question, question_id)


def give_cards(app, user, answers: list[tuple[int, bool, datetime]]) -> None:
    """Study answers `(question_id, correct, answered_at)` (no confidence, no time: a wrong one is
    Again, due a learning step later; a right one Good, due a day later), then the learner's
    cards rebuilt from them, as `flask reviews rebuild --user` would."""
    with app.app_context():
        questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(
            Question.id.in_([qid for qid, _c, _at in answers])))}
        for question in questions.values():
            db.session.expunge(question)
    for question_id, correct, at in answers:
        gen_study_answer(app, user, questions[question_id], correct, answered_at=at)
    with app.app_context():
        learning.rebuild(user_ids=[user.id])
        db.session.commit()


def questions_by_objective(app, exam) -> dict[str, list[Question]]:
    """The exam's questions by objective code, in id order, detached from the session."""
    from webapp.models import Objective

    with app.app_context():
        found: dict[str, list[Question]] = {}
        for question, code in db.session.execute(sa.select(Question, Objective.code).join(Objective)
                                                 .where(Question.exam_id == exam.id).order_by(Question.id)):
            db.session.expunge(question)
            found.setdefault(code, []).append(question)
        return found


LEARNING_RATE = 0.14  # MASTERY_LEARNING_RATE
HALF_LIFE_DAYS = 30.0  # MASTERY_HALF_LIFE_DAYS


def with_learning(alpha: float, beta: float, answers: int, days_since_last: float = 0.0) -> tuple[float, float]:
    """Beta(alpha, beta) with the learning term added by hand: the mean moved up by
    0.14 x (ln(1 + n) - ln(n!) / n) x 2^(-days / 30) logits, alpha + beta kept."""
    lag = math.log(1 + answers) - math.lgamma(answers + 1) / answers
    shift = LEARNING_RATE * lag * 2 ** (-days_since_last / HALF_LIFE_DAYS)
    mean = 1 / (1 + math.exp(-(math.log(alpha / beta) + shift)))
    return (alpha + beta) * mean, (alpha + beta) * (1 - mean)

"""The issue's check against the `fsrs` package: one learner answers one question on chosen dates
through the app's real services (study answers and submitted practice quizzes), and the same
ratings scheduled on the same datetimes directly with `fsrs` give exactly the stored card after
every answer: the due date, the state, the step, the stability and the difficulty."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fsrs import Card, Rating, State

from tests.factories import gen_user
from tests.learning.helpers import SCENARIO, answer, card_of, fsrs_scheduler, small_exam
from webapp.extensions import db
from webapp.models import ReviewLog


def test_every_stored_card_equals_fsrs_on_the_same_ratings_and_dates(app, ctx):
    """After each of 8 answers (study and practice, every rating, a lapse) the card matches fsrs exactly."""
    exam, question_ids = small_exam(app)
    target = question_ids[2]
    user = gen_user(app)
    scheduler, expected = fsrs_scheduler(app.config), Card()
    lapses = 0
    for number, (step, rating) in enumerate(SCENARIO, start=1):
        answer(user.id, exam.slug, target, step)
        lapses += expected.state == State.Review and rating == Rating.Again
        expected, _log = scheduler.review_card(expected, rating, review_datetime=step.at,
                                               review_duration=step.seconds * 1000)
        stored = card_of(user.id, target)
        assert stored.due == expected.due, number
        assert stored.last_review == expected.last_review == step.at, number
        assert (State(stored.state), stored.step) == (expected.state, expected.step), number
        assert (stored.stability, stored.difficulty) == (expected.stability, expected.difficulty), number
        assert (stored.reviews, stored.lapses) == (number, lapses), number
    # The run went through every state and ended in Review, with a lapse on the way.
    assert expected.state == State.Review and lapses == 1
    logged = db.session.execute(sa.select(ReviewLog.rating, ReviewLog.reviewed_at, ReviewLog.duration_ms)
                                .where(ReviewLog.user_id == user.id, ReviewLog.question_id == target)
                                .order_by(ReviewLog.reviewed_at)).all()
    assert [tuple(row) for row in logged] == [(int(rating), step.at, step.seconds * 1000) for step, rating in SCENARIO]


def test_the_due_dates_are_the_ones_fsrs_gives_not_a_copy_of_the_steps(app, ctx):
    """The first wrong answer is due again one learning step later (60 min); an Easy graduates
    the card to days away: the scheduling really is fsrs's, not a constant."""
    exam, question_ids = small_exam(app)
    user = gen_user(app)
    first, second = SCENARIO[0][0], SCENARIO[1][0]
    answer(user.id, exam.slug, question_ids[0], first)
    assert card_of(user.id, question_ids[0]).due == first.at + timedelta(minutes=60)
    answer(user.id, exam.slug, question_ids[0], second)
    card = card_of(user.id, question_ids[0])
    assert State(card.state) == State.Review and card.due - second.at >= timedelta(days=1)

"""`flask reviews rebuild` and the other replays: idempotent, equal to the cards built answer by
answer, an answer older than its card's last review replays the card, and the re-grade of a
corrected key rebuilds the cards of the learners whose answers flipped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fsrs import Card, Rating

from tests.editor.helpers import META, study_answer, take_quiz
from tests.factories import choice_ids, gen_bank, gen_user, user_in_db
from tests.learning.helpers import (DAY0, SCENARIO, answer, answer_in_study, card_of, fsrs_scheduler, small_exam,
                                    snapshot)
from webapp.editor import services as editor
from webapp.extensions import db
from webapp.models import Answer, Confidence, Question, QuizMode, ReviewLog


def _rebuild(app, *users: int) -> str:
    args = ["reviews", "rebuild"] + [part for user_id in users for part in ("--user", str(user_id))]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def test_rebuild_is_idempotent_and_equals_the_incremental_cards(app, ctx):
    """Two learners' answers (study and quizzes) built answer by answer, then rebuilt twice:
    identical cards and review log every time, and the command says how many cards it wrote."""
    exam, ids = small_exam(app)
    first, second = gen_user(app), gen_user(app)
    for step, _rating in SCENARIO:
        answer(first.id, exam.slug, ids[0], step)
    for step, _rating in SCENARIO[2:6]:
        answer(second.id, exam.slug, ids[3], step)
    incremental = snapshot()
    cards, logs = incremental
    assert len(cards) == 10 and len(logs) > len(SCENARIO) + 4  # quizzes review their unanswered questions too
    output = _rebuild(app)
    assert snapshot() == incremental
    assert f"Rebuilt {len(cards)} review cards" in output
    _rebuild(app)
    assert snapshot() == incremental


def test_rebuild_of_one_learner_leaves_the_others_alone(app, ctx):
    """`--user` replays that learner's cards; another learner's card, even one made stale by hand, is left as it is."""
    exam, ids = small_exam(app)
    mine, theirs = gen_user(app), gen_user(app)
    for user in (mine, theirs):
        answer(user.id, exam.slug, ids[0], SCENARIO[0][0])
    expected = snapshot()
    db.session.execute(sa.update(type(card_of(theirs.id, ids[0]))).values(reviews=99))
    db.session.commit()
    _rebuild(app, mine.id)
    assert card_of(mine.id, ids[0]).reviews == 1 and card_of(theirs.id, ids[0]).reviews == 99
    _rebuild(app)
    assert snapshot() == expected


def test_an_answer_older_than_its_cards_last_review_replays_the_card(app, ctx):
    """A study answer stored after a later one (its moment is earlier) gives the card fsrs gives
    for both answers in time order, exactly what a rebuild gives."""
    exam, ids = small_exam(app)
    user = gen_user(app)
    early, late = DAY0, DAY0 + timedelta(days=3)
    answer_in_study(user.id, exam.slug, ids[1], True, Confidence.SURE.value, 10, at=late)
    answer_in_study(user.id, exam.slug, ids[1], False, None, 40, at=early)
    scheduler = fsrs_scheduler(app.config)
    expected, _ = scheduler.review_card(Card(), Rating.Again, review_datetime=early, review_duration=40_000)
    expected, _ = scheduler.review_card(expected, Rating.Easy, review_datetime=late, review_duration=10_000)
    card = card_of(user.id, ids[1])
    assert (card.due, card.last_review, card.stability, card.difficulty) == (
        expected.due, late, expected.stability, expected.difficulty)
    assert card.reviews == 2
    assert db.session.scalars(sa.select(ReviewLog.rating).where(ReviewLog.user_id == user.id)
                              .order_by(ReviewLog.reviewed_at)).all() == [Rating.Again, Rating.Easy]
    replayed = snapshot()
    _rebuild(app)
    assert snapshot() == replayed


def test_a_corrected_key_rebuilds_the_flipped_learners_cards(app, ctx):
    """The key moves to the choice one learner picked: their review of it becomes right (Good, due
    a day later), the learner who picked the old key gets Again; both cards are what a rebuild gives."""
    exam = gen_bank(app, per_objective=2)
    target = db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)).first()
    old_key, wrong = choice_ids(target), choice_ids(target, False)[:1]
    picked_wrong, picked_key = gen_user(app), gen_user(app)
    take_quiz(picked_wrong.id, exam.slug, QuizMode.PRACTICE, target, wrong)
    study_answer(picked_key.id, exam.slug, target, old_key)

    def rating_of(user_id: int) -> int:
        return db.session.scalar(sa.select(ReviewLog.rating).where(ReviewLog.user_id == user_id,
                                                                   ReviewLog.question_id == target))

    assert (rating_of(picked_wrong.id), rating_of(picked_key.id)) == (Rating.Again, Rating.Good)
    result = editor.edit_question(user_in_db(app, is_admin=True), target, {
        "choices": [{"id": cid, "correct": cid in wrong} for cid in old_key + choice_ids(target, False)]}, META)
    assert result.key_changed and result.regraded == 2
    db.session.expire_all()
    assert (rating_of(picked_wrong.id), rating_of(picked_key.id)) == (Rating.Good, Rating.Again)
    answered_at = db.session.scalar(sa.select(Answer.answered_at).where(Answer.user_id == picked_wrong.id,
                                                                       Answer.question_id == target))
    assert card_of(picked_wrong.id, target).due == answered_at + timedelta(days=1)
    regraded = snapshot()
    _rebuild(app)
    assert snapshot() == regraded

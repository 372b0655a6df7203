"""What is due and how it is drawn: the `due` study session (most overdue first, nothing not yet
due), the empty `due` source's 400, the per-exam counts every page shares, and simulations, whose
answers review cards but whose draw never looks at a due date."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_exam, gen_question, gen_token, gen_user
from tests.learning.helpers import give_cards, small_exam
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.learning.due import due_by_exam, due_for_exam, due_for_slug, review_count
from webapp.models import Answer, Exam, Question, QuestionSource, QuizMode, ReviewCard, StudyQuestion, User
from webapp.models.base import utcnow
from webapp.quiz import services as quiz
from webapp.quiz.services import UnknownExam
from webapp.study import services as study


def test_a_due_session_draws_the_most_overdue_first_and_nothing_not_due(app, ctx):
    """Five overdue cards come in order of their due time (not of the question ids); a card due tomorrow stays out."""
    exam, ids = small_exam(app, questions=6)
    user = gen_user(app)
    start = utcnow() - timedelta(days=10)
    overdue = [ids[3], ids[0], ids[4], ids[1], ids[2]]  # answered wrong in this order, an hour apart
    give_cards(app, user, [(qid, False, start + timedelta(hours=n)) for n, qid in enumerate(overdue)]
               + [(ids[5], True, utcnow() - timedelta(minutes=5))])
    session = study.start_session(db.session.get(User, user.id),
                                  study.StudyRequest(exam.slug, count=10, source=QuestionSource.DUE.value))
    drawn = db.session.scalars(sa.select(StudyQuestion.question_id).where(StudyQuestion.session_id == session.id)
                               .order_by(StudyQuestion.position)).all()
    assert drawn == overdue
    assert session.source == QuestionSource.DUE and session.notice.startswith("Only 5 questions")


def test_an_empty_due_source_is_a_400_on_source(app, ctx):
    """With cards but none due (and with no card at all) a `due` study session is EMPTY_SOURCE on `source`."""
    exam, ids = small_exam(app)
    fresh, waiting = gen_user(app), gen_user(app)
    give_cards(app, waiting, [(ids[0], True, utcnow() - timedelta(minutes=1))])
    for user in (fresh, waiting):
        with pytest.raises(ValidationError) as excinfo:
            study.start_session(db.session.get(User, user.id), study.StudyRequest(exam.slug, source=QuestionSource.DUE))
        assert (excinfo.value.field, excinfo.value.code) == ("source", "EMPTY_SOURCE")
        assert "No review is due" in excinfo.value.message


def test_the_study_api_refuses_an_empty_due_source_and_starts_a_due_one(client, app):
    """POST /api/v1/study-sessions with source due: 400 EMPTY_SOURCE on `source` while none is due, 201 once one is."""
    exam, ids = small_exam(app)
    user = gen_user(app)
    headers = bearer(gen_token(app, user))
    body = {"exam_type": exam.slug, "count": 5, "source": QuestionSource.DUE.value}
    response = client.post("/api/v1/study-sessions", json=body, headers=headers)
    assert response.status_code == 400
    assert (response.get_json()["code"], response.get_json()["field"]) == ("EMPTY_SOURCE", "source")
    give_cards(app, user, [(ids[1], False, utcnow() - timedelta(days=2))])
    response = client.post("/api/v1/study-sessions", json=body, headers=headers)
    assert response.status_code == 201 and response.get_json()["question_count"] == 1


def _simulation_exam(app) -> Exam:
    exam = gen_bank(app, per_objective=4, slug="simulated")
    with app.app_context():
        db.session.get(Exam, exam.id).question_count = 6
        db.session.commit()
    return exam


def test_a_simulation_never_draws_by_due_date(app, ctx):
    """With the same seed a simulation draws the same questions in the same order whatever the
    cards say: overdue in one order, overdue in the reverse order, or no cards at all."""
    exam = _simulation_exam(app)
    user = gen_user(app)
    ids = db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)).all()
    start = utcnow() - timedelta(days=30)
    give_cards(app, user, [(qid, False, start + timedelta(hours=n)) for n, qid in enumerate(ids[:8])])
    learner = db.session.get(User, user.id)
    plan = quiz.plan_quiz(learner, quiz.QuizRequest(exam.slug, mode=QuizMode.EXAM))

    def draw() -> list[int]:
        return quiz.draw_questions(learner, plan, random.Random(15)).question_ids

    as_due = draw()
    for offset, qid in enumerate(reversed(ids[:8])):  # the most overdue card is now the least overdue
        db.session.execute(sa.update(ReviewCard).where(ReviewCard.user_id == user.id, ReviewCard.question_id == qid)
                           .values(due=start - timedelta(days=offset)))
    db.session.commit()
    reversed_due = draw()
    db.session.execute(sa.delete(ReviewCard).where(ReviewCard.user_id == user.id))
    db.session.commit()
    assert len(as_due) == 6 and as_due == reversed_due == draw()
    assert plan.choice.source == QuestionSource.ALL


def test_a_simulation_refuses_the_due_source_and_its_answers_still_review_cards(app, ctx):
    """A simulation asked to draw from `due` is 400 SOURCE_NOT_ALLOWED; a simulation taken reviews
    a card for each of its questions (its answers count like any other)."""
    exam = _simulation_exam(app)
    user = db.session.get(User, gen_user(app).id)
    with pytest.raises(ValidationError) as excinfo:
        quiz.start_quiz(user, quiz.QuizRequest(exam.slug, mode=QuizMode.EXAM, source=QuestionSource.DUE.value))
    assert (excinfo.value.field, excinfo.value.code) == ("source", "SOURCE_NOT_ALLOWED")
    attempt = quiz.start_quiz(user, quiz.QuizRequest(exam.slug, mode=QuizMode.EXAM))
    attempt_id = attempt.id
    quiz.submit_attempt(user, attempt_id)
    answered = set(db.session.scalars(sa.select(Answer.question_id).where(Answer.attempt_id == attempt_id)))
    carded = set(db.session.scalars(sa.select(ReviewCard.question_id).where(ReviewCard.user_id == user.id)))
    assert len(answered) == 6 and carded == answered


def test_due_per_exam_lists_visible_exams_with_cards_in_code_order(app, ctx):
    """Two exams with cards (one due, one not yet) in code order with their counts and the next
    due time; an exam without cards is left out; a retired exam only for an admin."""
    later, sooner = gen_exam(app, slug="later", code="ZZ0-001"), gen_exam(app, slug="sooner", code="AA0-001")
    retired = gen_exam(app, slug="retired", code="MM0-001", is_active=False)
    gen_exam(app, slug="untouched")
    q_later = [gen_question(app, later) for _ in range(2)]
    q_sooner, q_retired = gen_question(app, sooner), gen_question(app, retired)
    user, admin = gen_user(app), gen_user(app, is_admin=True)
    now = utcnow()
    answered_at = now - timedelta(hours=2)
    for who in (user, admin):
        give_cards(app, who, [(q_later[0].id, False, answered_at), (q_later[1].id, True, answered_at),
                              (q_sooner.id, True, answered_at), (q_retired.id, False, answered_at)])
    found = [(item.exam.slug, item.due, item.cards, item.next_due_at)
             for item in due_by_exam(db.session.get(User, user.id), now)]
    tomorrow = answered_at + timedelta(days=1)  # Good on a new card: the second learning step
    assert found == [("sooner", 0, 1, tomorrow), ("later", 1, 2, tomorrow)]
    assert [item.exam.slug for item in due_by_exam(db.session.get(User, admin.id), now)] == ["sooner", "retired",
                                                                                             "later"]
    assert due_for_exam(db.session.get(User, user.id), db.session.get(Exam, retired.id), now).cards == 0


def test_due_for_slug_narrows_to_one_exam_and_refuses_an_unknown_one(app, ctx):
    """A slug narrows to its exam (empty without cards); an unknown or retired exam is UnknownExam on `exam_type`."""
    exam, ids = small_exam(app)
    empty = gen_exam(app, slug="empty")
    gen_exam(app, slug="gone", is_active=False)
    user = gen_user(app)
    give_cards(app, user, [(ids[0], False, utcnow() - timedelta(days=1))])
    learner = db.session.get(User, user.id)
    assert [(item.exam.slug, item.due) for item in due_for_slug(learner, exam.slug)] == [(exam.slug, 1)]
    assert due_for_slug(learner, empty.slug) == [] and len(due_for_slug(learner, None)) == 1
    for slug in ("nope", "gone"):
        with pytest.raises(UnknownExam) as excinfo:
            due_for_slug(learner, slug)
        assert excinfo.value.field == "exam_type"


def test_review_now_asks_for_every_due_card_within_the_quiz_bounds(app, ctx):
    """3 due asks for the minimum (the source then gives 3), 40 for 40, 500 for the maximum."""
    low, high = app.config["QUIZ_MIN_COUNT"], app.config["QUIZ_MAX_COUNT"]
    assert (review_count(3), review_count(40), review_count(500)) == (low, 40, high)


def test_due_counts_leave_out_withdrawn_and_retired_questions(app, ctx):
    """A card whose question was withdrawn by reports or retired is not counted as due, as the
    `due` draw would not serve it: the count and Review now agree."""
    from webapp.learning.reviews import due_counts

    exam, ids = small_exam(app, questions=3)
    user = gen_user(app)
    give_cards(app, user, [(qid, False, utcnow() - timedelta(days=3)) for qid in ids])
    assert due_counts(user.id)[exam.id].due == 3
    db.session.get(Question, ids[0]).withdrawn_at = utcnow()
    db.session.get(Question, ids[1]).is_active = False
    db.session.commit()
    counted = due_counts(user.id)[exam.id]
    assert (counted.due, counted.cards) == (1, 1)

"""Due reviews where other features use them: the `due_reviews` recommendation (its score, its
action, which starts the `due` study session) and the exam-date plan, which counts the cards due
by the exam day."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_token, gen_user, user_in_db
from tests.learning.helpers import give_cards, small_exam
from webapp.extensions import db
from webapp.gamification.services import local_day, local_day_bounds
from webapp.goals import services as goals
from webapp.models import Question, QuestionSource, QuizMode, ReviewCard, StudySession, User
from webapp.models.base import utcnow
from webapp.models.enums import RecommendationKind
from webapp.recommendations import services as recommending


def _due_item(user):
    items = recommending.recommendations(db.session.get(User, user.id))
    return [item for item in items if item.kind == RecommendationKind.DUE_REVIEWS]


def test_due_reviews_recommends_a_due_study_session_scored_one_point_a_review(app, ctx):
    """Two cards due, answered 3 days ago: "2 reviews due", a study session from `due`, score 2 x (1 + 3/28)."""
    exam, ids = small_exam(app)
    user = user_in_db(app)
    answered = utcnow() - timedelta(days=3, hours=1)
    give_cards(app, user, [(ids[0], False, answered), (ids[1], False, answered)])
    (item,) = _due_item(user)
    assert item.title == f"2 reviews due in {exam.name}"
    assert item.reason.startswith("2 questions you answered before are due for review")
    assert item.action.url == "/api/v1/study-sessions"
    assert item.action.body == {"exam_type": exam.slug, "count": app.config["QUIZ_MIN_COUNT"],
                                "source": QuestionSource.DUE.value}
    assert item.action.form["mode"] == QuizMode.STUDY.value and item.action.button == "Review now"
    assert item.score == round(2 * (1 + 3 / app.config["RECOMMEND_URGENCY_MAX_DAYS"]), 2)


def test_the_impact_is_capped_and_no_card_due_recommends_none(app, ctx, monkeypatch):
    """With the cap at 1 two due reviews score 1 x urgency; once none is due the kind is gone."""
    monkeypatch.setattr(recommending, "DUE_REVIEWS_IMPACT_MAX", 1.0)
    exam, ids = small_exam(app)
    user = user_in_db(app)
    two_hours_ago = utcnow() - timedelta(hours=2)
    give_cards(app, user, [(ids[0], False, two_hours_ago), (ids[1], False, two_hours_ago)])
    (item,) = _due_item(user)
    assert item.score == 1.0
    db.session.execute(sa.update(ReviewCard).values(due=utcnow() + timedelta(days=1)))
    db.session.commit()
    kinds = [item.kind for item in recommending.recommendations(db.session.get(User, user.id))]
    assert kinds and RecommendationKind.DUE_REVIEWS not in kinds


def test_the_recommendations_action_starts_the_due_session_through_the_api(client, app):
    """The API's due_reviews action, sent as it is, opens a study session from the `due` source (201)."""
    exam, ids = small_exam(app)
    user = gen_user(app)
    give_cards(app, user, [(ids[3], False, utcnow() - timedelta(days=1))])
    headers = bearer(gen_token(app, user))
    items = client.get("/api/v1/recommendations", headers=headers).get_json()["recommendations"]
    (action,) = [item["action"] for item in items if item["kind"] == "due_reviews"]
    response = client.post(action["url"], json=action["body"], headers=headers)
    assert response.status_code == 201 and response.get_json()["question_count"] == 1
    with app.app_context():
        assert db.session.scalars(sa.select(StudySession.source).order_by(StudySession.id.desc())).first() == QuestionSource.DUE


def test_an_exam_plan_counts_the_cards_due_before_the_exam_day_ends(app, ctx, client):
    """30 questions, 20 answered: 10 unseen; of the 20 cards 12 fall due by the end of the exam
    day (in the learner's zone, one a second before midnight), 8 after: 12 due reviews, 11 a day."""
    exam = gen_bank(app, per_objective=10)
    user = user_in_db(app, timezone="Asia/Tokyo")
    ids = db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)).all()
    give_cards(app, user, [(qid, True, utcnow() - timedelta(hours=1)) for qid in ids[:20]])
    exam_on = local_day(utcnow(), user.timezone) + timedelta(days=2)
    ends = local_day_bounds(exam_on, user.timezone)[1]
    dues = [utcnow() - timedelta(days=1)] * 6 + [ends - timedelta(hours=30)] * 5 + [ends - timedelta(seconds=1)]
    dues += [ends] + [ends + timedelta(days=3)] * 7
    for qid, due in zip(ids[:20], dues):
        db.session.execute(sa.update(ReviewCard).where(ReviewCard.user_id == user.id, ReviewCard.question_id == qid)
                           .values(due=due))
    db.session.commit()
    goals.set_exam_date(db.session.get(User, user.id), exam.slug, exam_on)
    (plan,) = goals.exam_plans(db.session.get(User, user.id))
    assert (plan.unseen, plan.due_reviews, plan.days_left, plan.suggested_target) == (10, 12, 2, 11)
    body = client.get("/api/v1/exam-dates", headers=bearer(gen_token(app, user))).get_json()
    assert (body["items"][0]["due_reviews"], body["items"][0]["suggested_daily_target"]) == (12, 11)

"""The recommendation rules on fixtures: each kind fires when its rule holds and not otherwise,
the ranking's hand-computed scores, the brand-new learner's diagnostic, and another learner's
answers never counting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import gen_scored_attempt, gen_study_answers, gen_user
from tests.recommendations.helpers import bank, set_simulation_length, weak_history
from webapp.extensions import db
from webapp.models import QuizMode, User
from webapp.models.base import utcnow
from webapp.models.enums import RecommendationKind as Kind
from webapp.recommendations.services import recommendations, urgency


def _for(app, user, now=None):
    with app.app_context():
        return recommendations(db.session.get(User, user.id), now)


def _kinds(items) -> list[str]:
    return [item.kind.value for item in items]


def test_a_brand_new_learner_gets_the_ten_question_diagnostic(app):
    """With no answer at all, the only recommendation per exam is a 10-question practice quiz on it."""
    exam, _ = bank(app)
    items = _for(app, gen_user(app))
    assert _kinds(items) == [Kind.DIAGNOSTIC.value]
    assert items[0].title == "Start with a 10-question diagnostic quiz"
    assert items[0].action.body == {"exam_type": exam.slug, "count": 10, "source": "all"}
    assert items[0].action.url == "/api/v1/quizzes" and items[0].action.method == "POST"


def test_weak_objective_unseen_and_missed_rank_by_their_scores(app):
    """40% on 1.1 over 10 answers today: unseen 17/18 x (80-40) = 37.78, weak 0.6 x (80-40) = 24.0,
    missed 1/18 x 80 = 4.44, in that order; no stale exam (practised today)."""
    exam, questions = bank(app)
    user = gen_user(app)
    weak_history(app, user, questions)
    items = _for(app, user)
    assert [(item.kind.value, item.score) for item in items] == [
        ("unseen", 37.78), ("weak_objective", 24.0), ("missed", 4.44)]
    weak = items[1]
    assert weak.reason.startswith(f"You're at 40% on {exam.name} 1.1 over 10 answers. Take a focused quiz?")
    assert weak.action.body == {"exam_type": exam.slug, "count": 6, "source": "all", "domains": ["1.1"]}
    assert items[0].reason == f"17 {exam.name} questions you've never seen."
    assert items[2].reason == f"1 question you got wrong is waiting in {exam.name}."
    assert items[2].action.body["source"] == "missed"


def test_an_objective_is_weak_only_over_enough_answers_below_the_line(app):
    """Nine answers at 0%, or ten at 70%, make no weak_objective recommendation."""
    _, questions = bank(app)
    few, fine = gen_user(app), gen_user(app)
    weak_history(app, few, questions, right=0, total=9)
    weak_history(app, fine, questions, right=7, total=10)
    assert Kind.WEAK_OBJECTIVE not in _kinds(_for(app, few))
    assert Kind.WEAK_OBJECTIVE not in _kinds(_for(app, fine))
    assert Kind.UNSEEN in _kinds(_for(app, fine))


def test_a_stale_exam_fires_after_the_stale_days_with_the_days_in_the_reason(app):
    """Last practised 5 days ago: stale_exam with score 0.6 x 40 x (1 + 5/28) = 28.29, tied with the
    weak objective, which comes first by kind order; 2 days ago: no stale_exam."""
    exam, questions = bank(app)
    old, recent = gen_user(app), gen_user(app)
    weak_history(app, old, questions, days_ago=5)
    weak_history(app, recent, questions, days_ago=2)
    items = _for(app, old)
    scored = {item.kind.value: item.score for item in items}
    with app.app_context():
        assert scored["stale_exam"] == scored["weak_objective"] == round(24 * urgency(5, None), 2) == 28.29
    assert _kinds(items).index("weak_objective") < _kinds(items).index("stale_exam")
    stale = next(item for item in items if item.kind == Kind.STALE_EXAM)
    assert stale.reason == f"You haven't practised {exam.name} in 5 days."
    assert Kind.STALE_EXAM not in _kinds(_for(app, recent))


def test_an_exam_date_within_the_horizon_raises_the_urgency(app):
    """Urgency is 1 + days/28 (capped) + 2 x (1 - days to exam / 30) inside 30 days, and 1 with neither."""
    with app.app_context():
        assert urgency(None, None) == 1.0
        assert urgency(56, None) == 2.0
        assert urgency(None, 15) == 2.0
        assert urgency(0, 0) == 3.0
        assert urgency(None, 45) == 1.0


def _ready_history(app, user, questions, accuracy_right: int = 9, when=None):
    for code in ("1.1", "2.1"):
        gen_study_answers(app, user, questions[code][0], [True] * accuracy_right + [False] * (10 - accuracy_right),
                          answered_at=when)
        gen_study_answers(app, user, questions[code][1], [True], answered_at=when)


def test_ready_for_simulation_needs_every_domain_high_and_no_recent_simulation(app):
    """90%+ in both domains over 11 answers each this week and no simulation: ready_for_simulation
    with a simulation start; one domain at 80%, or a simulation 3 days ago, and it does not fire."""
    exam, questions = bank(app)
    set_simulation_length(app, exam, 10)
    ready, shaky, tested = gen_user(app), gen_user(app), gen_user(app)
    for user in (ready, tested):
        _ready_history(app, user, questions)
    gen_study_answers(app, shaky, questions["1.1"][0], [True] * 10)
    gen_study_answers(app, shaky, questions["2.1"][0], [True] * 8 + [False] * 2)
    gen_scored_attempt(app, tested, exam, [{"question_id": questions["1.2"][0].id, "correct": True}],
                       mode=QuizMode.EXAM.value, finished_at=utcnow() - timedelta(days=3))
    item = next(i for i in _for(app, ready) if i.kind == Kind.READY_FOR_SIMULATION)
    assert item.action.body == {"exam_type": exam.slug, "mode": "exam"}
    assert item.score == 10.0
    assert Kind.READY_FOR_SIMULATION not in _kinds(_for(app, shaky))
    assert Kind.READY_FOR_SIMULATION not in _kinds(_for(app, tested))


def test_another_learners_answers_never_count(app):
    """A learner with weak answers does not change what a new learner is recommended: still the diagnostic."""
    _, questions = bank(app)
    owner, other = gen_user(app), gen_user(app)
    weak_history(app, owner, questions)
    assert Kind.WEAK_OBJECTIVE in _kinds(_for(app, owner))
    assert _kinds(_for(app, other)) == [Kind.DIAGNOSTIC.value]


def test_at_most_the_configured_number_best_first(app):
    """Three exams with weak, unseen and missed items give RECOMMEND_MAX (5) items, scores not increasing."""
    user = gen_user(app)
    for slug in ("one", "two", "three"):
        _, questions = bank(app, slug=slug)
        weak_history(app, user, questions)
    items = _for(app, user)
    assert len(items) == app.config["RECOMMEND_MAX"] == 5
    assert [item.score for item in items] == sorted((item.score for item in items), reverse=True)


def test_goal_at_risk_fires_late_in_the_day_when_the_goal_is_not_met(app):
    """A 20-question goal with 10 answered: at 20:00 local a goal_at_risk study session of 10; at 10:00 none."""
    from webapp.goals import services as goals

    exam, questions = bank(app)
    user = gen_user(app)
    weak_history(app, user, questions)
    with app.app_context():
        goals.set_goal(db.session.get(User, user.id), "daily_questions", 20)
    now = utcnow()
    late = now.replace(hour=20, minute=0) if now.hour < 20 else now
    early = now.replace(hour=10, minute=0)
    item = next(i for i in _for(app, user, late) if i.kind == Kind.GOAL_AT_RISK)
    assert item.action.url == "/api/v1/study-sessions" and item.action.body["exam_type"] == exam.slug
    assert Kind.GOAL_AT_RISK not in _kinds(_for(app, user, early))

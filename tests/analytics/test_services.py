"""The analytics services against hand-computed fixtures (docs/API.md, "Analytics")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (bearer, gen_bank, gen_exam, gen_question, gen_scored_quiz, gen_study_answers, gen_token,
                             gen_user, user_in_db)
from webapp.analytics import services
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import AnalyticsPeriod, Answer, Exam, Objective, Question, QuizMode, Trend, User
from webapp.models.base import utcnow

NEW_YORK = "America/New_York"
# 10:00 EST on Tuesday 3 November 2026; New York left daylight saving time (EDT, UTC-4) for EST
# (UTC-5) at 02:00 local on Sunday 1 November.
AFTER_DST_END = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


def _questions(app, exam, objective: str | None = None) -> list[Question]:
    with app.app_context():
        query = sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)
        if objective:
            query = query.join(Objective, Objective.id == Question.objective_id).where(Objective.code == objective)
        rows = list(db.session.scalars(query))
        for row in rows:
            db.session.expunge(row)
        return rows


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def exam(app):
    return gen_bank(app, per_objective=4)


@pytest.fixture
def learner(app):
    return gen_user(app, timezone=NEW_YORK)


def test_seven_days_in_new_york_start_at_local_midnight_across_the_dst_change(app, exam, learner):
    """7d is the last seven New York days (28 Oct EDT to 3 Nov EST); quizzes fall on their local submission day."""
    ten = _questions(app, exam)[:10]
    gen_scored_quiz(app, learner, ten, 4, _at(2026, 10, 28, 3, 30))  # 27 Oct 23:30 EDT: the previous period
    gen_scored_quiz(app, learner, ten, 5, _at(2026, 10, 28, 4, 30))  # 28 Oct 00:30 EDT: the first day
    gen_scored_quiz(app, learner, ten, 8, _at(2026, 11, 2, 4, 30))  # 1 Nov 23:30 EST (2 Nov in UTC)
    gen_scored_quiz(app, learner, ten, 6, _at(2026, 11, 2, 5, 0))  # 2 Nov 00:00 EST
    gen_scored_quiz(app, learner, ten, 9, _at(2026, 11, 2, 6, 0))
    with app.app_context():
        result = services.performance(db.session.get(User, learner.id), "7d", now=AFTER_DST_END)
    assert result.first_day == date(2026, 10, 28) and result.last_day == date(2026, 11, 3)
    assert [(p.date, p.quizzes_taken, p.average_score, p.total_questions, p.correct_answers)
            for p in result.data_points] == [(date(2026, 10, 28), 1, 50.0, 10, 5), (date(2026, 11, 1), 1, 80.0, 10, 8),
                                             (date(2026, 11, 2), 2, 75.0, 20, 15)]
    # (50 + 80 + 60 + 90) / 4 = 70; the previous seven days held the 40% quiz.
    assert result.summary == services.PerformanceSummary(total_quizzes=4, average_score=70.0, improvement=30.0,
                                                         best_day=date(2026, 11, 1), best_score=80.0)


def test_improvement_is_null_without_a_quiz_in_the_previous_period(app, exam, learner):
    """A period whose previous period of the same length had no quiz has improvement null."""
    ten = _questions(app, exam)[:10]
    gen_scored_quiz(app, learner, ten, 7, AFTER_DST_END - timedelta(days=2))
    gen_scored_quiz(app, learner, ten, 3, AFTER_DST_END - timedelta(days=61))  # before the previous 30 days
    with app.app_context():
        result = services.performance(db.session.get(User, learner.id), AnalyticsPeriod.MONTH, now=AFTER_DST_END)
    assert result.summary.total_quizzes == 1 and result.summary.average_score == 70.0
    assert result.summary.improvement is None


def test_all_compares_the_last_thirty_days_with_everything_before(app, exam, learner):
    """`all` lists every day and reports the last 30 days' average minus the average of everything before."""
    ten = _questions(app, exam)[:10]
    gen_scored_quiz(app, learner, ten, 4, AFTER_DST_END - timedelta(days=200))
    gen_scored_quiz(app, learner, ten, 6, AFTER_DST_END - timedelta(days=40))
    gen_scored_quiz(app, learner, ten, 9, AFTER_DST_END - timedelta(days=3))
    with app.app_context():
        result = services.performance(db.session.get(User, learner.id), "all", now=AFTER_DST_END)
    assert len(result.data_points) == 3 and result.first_day is None
    # 90 - (40 + 60) / 2 = 40 points; the average covers all three: (40 + 60 + 90) / 3.
    assert result.summary.improvement == 40.0
    assert result.summary.average_score == pytest.approx(63.3)
    assert result.summary.best_score == 90.0


def test_all_has_no_improvement_when_every_quiz_is_recent(app, exam, learner):
    """`all` with quizzes only in the last 30 days has nothing before to compare with: improvement null."""
    ten = _questions(app, exam)[:10]
    gen_scored_quiz(app, learner, ten, 4, AFTER_DST_END - timedelta(days=29))
    gen_scored_quiz(app, learner, ten, 6, AFTER_DST_END - timedelta(hours=1))
    with app.app_context():
        summary = services.performance(db.session.get(User, learner.id), "all", now=AFTER_DST_END).summary
    assert (summary.total_quizzes, summary.average_score, summary.improvement) == (2, 50.0, None)


def test_a_new_learner_gets_empty_points_zeros_and_nulls(app, exam, learner):
    """No quizzes: no data points, total 0 and every other summary figure null, for every period."""
    with app.app_context():
        user = db.session.get(User, learner.id)
        for period in AnalyticsPeriod:
            result = services.performance(user, period)
            assert result.data_points == []
            assert result.summary == services.PerformanceSummary(0, None, None, None, None)


def test_the_exam_filter_keeps_only_that_exams_quizzes(app, exam, learner):
    """performance(exam_slug=...) counts the quizzes of that exam only; without it, every exam's."""
    other = gen_bank(app, per_objective=4, slug="other")
    gen_scored_quiz(app, learner, _questions(app, exam)[:10], 5)
    gen_scored_quiz(app, learner, _questions(app, other)[:10], 9)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert services.performance(user, "7d", exam.slug).summary.average_score == 50.0
        assert services.performance(user, "7d").summary.average_score == 70.0


def test_unknown_period_and_exam_are_validation_errors_on_their_field(app, exam, learner):
    """A period outside 7d/30d/90d/all is a 400 on `period`; an unknown exam slug a 400 on `exam_type`."""
    with app.app_context():
        user = db.session.get(User, learner.id)
        with pytest.raises(ValidationError) as period:
            services.performance(user, "1y")
        with pytest.raises(ValidationError) as unknown:
            services.domain_performance(user, "no-such-exam")
    assert (period.value.status, period.value.field) == (400, "period")
    assert (unknown.value.status, unknown.value.field) == (400, "exam_type")


def test_study_answers_count_in_domains_but_not_in_quiz_counts(app, exam, learner):
    """Study answers add to an objective's attempts and accuracy; the quiz figures stay at zero."""
    question = _questions(app, exam, "2.1")[0]
    gen_study_answers(app, learner, question, [True, True, False])
    with app.app_context():
        user = db.session.get(User, learner.id)
        domains = services.domain_performance(user, exam.slug).domains
        summary = services.performance(user, "all").summary
    assert [(d.domain, d.attempts, d.correct, d.accuracy) for d in domains] == [("2.1", 3, 2, 66.7)]
    assert (summary.total_quizzes, summary.average_score) == (0, None)


def test_abandoned_quizzes_count_for_nothing(app, client, exam):
    """A quiz answered and then abandoned adds no quiz, no day and no objective attempt."""
    user = gen_user(app)
    headers = bearer(gen_token(app, user))
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    first = quiz["questions"][0]
    assert client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{first['id']}", headers=headers,
                      json={"choice_ids": [first["choices"][0]["id"]]}).status_code == 200
    assert client.post(f"/api/v1/quizzes/{quiz['id']}/abandon", headers=headers).status_code == 200
    with app.app_context():
        fresh = db.session.get(User, user.id)
        assert services.performance(fresh, "all").summary.total_quizzes == 0
        assert services.domain_performance(fresh, exam.slug).domains == []
        assert services.weak_areas(fresh) == services.WeakAreas([], [], [])


def test_domains_come_in_code_order_with_names_and_their_exam_domain(app, learner):
    """Objectives are listed in code order (1.2 before 1.10), each with its title and its 1.0-level domain."""
    blueprint = [{"number": "1.0", "name": "Concepts", "weight_percent": 50, "objectives": [
        {"code": "1.10", "title": "Tenth"}, {"code": "1.2", "title": "Second"}]},
        {"number": "2.0", "name": "Operations", "weight_percent": 50, "objectives": [{"code": "2.1", "title": "Ops"}]}]
    exam = gen_exam(app, domains=blueprint)
    for code in ("2.1", "1.10", "1.2"):
        gen_study_answers(app, learner, gen_question(app, exam, objective=code), [True])
    with app.app_context():
        domains = services.domain_performance(db.session.get(User, learner.id), exam.slug).domains
    assert [(d.domain, d.domain_name, d.exam_domain) for d in domains] == [
        ("1.2", "Second", "1.0"), ("1.10", "Tenth", "1.0"), ("2.1", "Ops", "2.0")]


@pytest.mark.parametrize(("earlier", "recent", "trend"), [
    ([True] * 6 + [False] * 4, [True] * 10, Trend.IMPROVING),  # 60% -> 100%: p = 0.025
    ([True] * 7 + [False] * 3, [True] * 10, Trend.STABLE),  # 70% -> 100%: p = 0.060
    ([True] * 10, [True] * 6 + [False] * 4, Trend.DECLINING),
    ([True] * 5 + [False] * 4, [True] * 10, Trend.STABLE),  # 9 answers before: too few to test
    ([True] * 2 + [False] * 8, [True] * 9, Trend.STABLE),  # 9 answers in the window: too few
])
def test_trend_needs_ten_answers_each_side_and_a_significant_difference(app, exam, learner, earlier, recent, trend):
    """The trend compares the last 30 local days with before (pooled z-test, p < 0.05, 10+ answers each side)."""
    question = _questions(app, exam, "1.1")[0]
    gen_study_answers(app, learner, question, earlier, AFTER_DST_END - timedelta(days=45))
    gen_study_answers(app, learner, question, recent, AFTER_DST_END - timedelta(days=2))
    with app.app_context():
        [stat] = services.domain_performance(db.session.get(User, learner.id), exam.slug, now=AFTER_DST_END).domains
    assert (stat.attempts, stat.recent_attempts, stat.trend) == (len(earlier) + len(recent), len(recent), trend)


def test_the_trend_window_starts_at_local_midnight_thirty_days_back(app, exam, learner):
    """An answer just after local midnight of the 30th day back is recent; one just before is not."""
    question = _questions(app, exam, "1.1")[0]
    # 30 local days to 3 Nov start on 5 Oct, 00:00 EDT = 04:00 UTC.
    gen_study_answers(app, learner, question, [True], _at(2026, 10, 5, 4, 0))
    gen_study_answers(app, learner, question, [False], _at(2026, 10, 5, 3, 59))
    with app.app_context():
        [stat] = services.domain_performance(db.session.get(User, learner.id), exam.slug, now=AFTER_DST_END).domains
    assert (stat.attempts, stat.recent_attempts, stat.recent_correct) == (2, 1, 1)


def _weak_fixture(app, learner, exam):
    """1.1: 12 of 40 (30%); 1.2: 30 of 50 (60%); 2.1: 5 of 10 (50%); and on a second exam
    1.1: 0 of 9 (too few) and 1.2: 7 of 10 (exactly 70%: not below)."""
    for code, right, total in (("1.1", 12, 40), ("1.2", 30, 50), ("2.1", 5, 10)):
        gen_study_answers(app, learner, _questions(app, exam, code)[0], [True] * right + [False] * (total - right))
    other = gen_bank(app, per_objective=1, slug="other")
    gen_study_answers(app, learner, _questions(app, other, "1.1")[0], [False] * 9)
    gen_study_answers(app, learner, _questions(app, other, "1.2")[0], [True] * 7 + [False] * 3)
    return other


def test_weak_domains_are_ranked_by_the_wilson_upper_bound(app, exam, learner):
    """60% of 50 (upper bound 72.4%) ranks before 50% of 10 (76.3%): confidently weak before merely noisy."""
    _weak_fixture(app, learner, exam)
    with app.app_context():
        weak = services.weak_areas(db.session.get(User, learner.id)).weak_domains
    assert [(w.exam_type, w.domain, w.total_attempts, w.correct_answers, w.accuracy) for w in weak] == [
        (exam.slug, "1.1", 40, 12, 30.0), (exam.slug, "1.2", 50, 30, 60.0), (exam.slug, "2.1", 10, 5, 50.0)]
    assert [w.accuracy_interval for w in weak] == [(18.1, 45.4), (46.2, 72.4), (23.7, 76.3)]
    assert weak[0].recommendation == f"Review {exam.name} domain 1.1 (30% accuracy)"


def test_weak_domains_need_ten_attempts_and_accuracy_below_seventy(app, exam, learner):
    """9 wrong answers are too few to call an objective weak, and exactly 70% is not below 70%."""
    other = _weak_fixture(app, learner, exam)
    with app.app_context():
        weak = services.weak_areas(db.session.get(User, learner.id)).weak_domains
    assert len(weak) == 3
    assert {w.exam_type for w in weak} == {exam.slug} and other.slug != exam.slug


def test_the_ten_attempt_minimum_is_config(app, exam, learner):
    """With WEAK_AREA_MIN_ATTEMPTS lowered to 9, the 9 wrong answers make a weak objective (ranked first)."""
    other = _weak_fixture(app, learner, exam)
    app.config["WEAK_AREA_MIN_ATTEMPTS"] = 9
    try:
        with app.app_context():
            weak = services.weak_areas(db.session.get(User, learner.id)).weak_domains
    finally:
        app.config["WEAK_AREA_MIN_ATTEMPTS"] = 10
    assert (weak[0].exam_type, weak[0].domain, weak[0].accuracy, weak[0].accuracy_interval) == (
        other.slug, "1.1", 0.0, (0.0, 29.9))


def test_weak_exam_types_and_suggestions(app, exam, learner):
    """An exam with fewer than 50 answers is weak ("Practice more ... quizzes (only 19 attempts)"); suggestions list
    the three worst objectives, then the weak exam types."""
    other = _weak_fixture(app, learner, exam)
    # `exam` holds 100 answers and no quiz: enough practice, no average to judge.
    with app.app_context():
        areas = services.weak_areas(db.session.get(User, learner.id))
    assert [(e.exam_type, e.total_attempts, e.average_score) for e in areas.weak_exam_types] == [(other.slug, 19, None)]
    assert areas.weak_exam_types[0].recommendation == f"Practice more {other.name} quizzes (only 19 attempts)"
    assert areas.improvement_suggestions == [
        f"Review {exam.name} domain 1.1 (30% accuracy)", f"Review {exam.name} domain 1.2 (60% accuracy)",
        f"Review {exam.name} domain 2.1 (50% accuracy)", f"Practice more {other.name} quizzes (only 19 attempts)"]


def test_a_low_average_quiz_score_makes_an_exam_type_weak(app, exam, learner):
    """With enough answers, an average quiz score below 70% makes the exam weak, with the average in its advice."""
    ten = _questions(app, exam)[:10]
    for correct in (6, 7, 5, 6, 6):  # 50 answers, average 60%
        gen_scored_quiz(app, learner, ten, correct)
    with app.app_context():
        [weak] = services.weak_areas(db.session.get(User, learner.id)).weak_exam_types
    assert (weak.exam_type, weak.total_attempts, weak.quizzes, weak.average_score) == (exam.slug, 50, 5, 60.0)
    assert weak.recommendation.startswith(f"Raise your {exam.name} average (60% over 5 quizzes)")


def test_a_regraded_answer_changes_the_figures(app, exam, learner):
    """Updating answers.is_correct (what the key correction's re-grade does) changes accuracy and weak areas."""
    question = _questions(app, exam, "1.1")[0]
    gen_study_answers(app, learner, question, [True] * 8 + [False] * 2)
    with app.app_context():
        user = db.session.get(User, learner.id)
        before = services.domain_performance(user, exam.slug).domains[0].accuracy
        assert services.weak_areas(user).weak_domains == []
        db.session.execute(sa.update(Answer).where(Answer.user_id == user.id, Answer.is_correct.is_(True))
                           .values(is_correct=False))
        db.session.commit()
        after = services.domain_performance(user, exam.slug).domains[0].accuracy
        [weak] = services.weak_areas(user).weak_domains
    assert (before, after, weak.accuracy) == (80.0, 0.0, 0.0)


def test_a_retired_exam_is_unknown_to_a_learner(app, learner):
    """A learner naming a retired exam gets the unknown-exam error, as everywhere else."""
    retired = gen_bank(app, per_objective=1, slug="retired")
    with app.app_context():
        db.session.execute(sa.update(Exam).where(Exam.id == retired.id).values(is_active=False))
        db.session.commit()
        with pytest.raises(ValidationError) as error:
            services.performance(db.session.get(User, learner.id), "7d", retired.slug)
    assert error.value.field == "exam_type"


def test_one_learners_figures_never_include_another_learners_answers(app, exam, ctx):
    """Two learners' answers and quizzes stay apart in all three services."""
    first, second = user_in_db(app), user_in_db(app)
    gen_scored_quiz(app, first, _questions(app, exam)[:10], 2)
    gen_study_answers(app, second, _questions(app, exam, "2.1")[0], [True])
    assert services.performance(second, "all").summary.total_quizzes == 0
    assert [(d.domain, d.attempts) for d in services.domain_performance(second, exam.slug).domains] == [("2.1", 1)]
    assert services.weak_areas(second).weak_domains == []
    assert services.performance(first, "all").summary.total_quizzes == 1


def test_simulations_count_as_quizzes(app, exam, learner):
    """An exam simulation is a quiz: it counts in the performance figures like a practice quiz."""
    gen_scored_quiz(app, learner, _questions(app, exam)[:10], 8, mode=QuizMode.EXAM.value)
    with app.app_context():
        summary = services.performance(db.session.get(User, learner.id), "7d").summary
    assert (summary.total_quizzes, summary.average_score) == (1, 80.0)


def test_a_pages_shared_tallies_give_the_same_figures_as_each_services_own_read(app, exam, learner):
    """weak_areas, domain_performances and recommendations answer the same from /progress's one tally read as from their own."""
    from webapp.analytics.pages import page_tallies
    from webapp.recommendations.services import recommendations

    other = _weak_fixture(app, learner, exam)
    gen_scored_quiz(app, learner, _questions(app, exam)[:10], 6, utcnow() - timedelta(days=3))
    with app.app_context():
        user = db.session.get(User, learner.id)
        exams = list(db.session.scalars(sa.select(Exam).where(Exam.id.in_([exam.id, other.id])).order_by(Exam.code)))
        shared = page_tallies(user, charts=True, recommendations=True)
        assert len(shared.by_objective) == 5
        assert services.weak_areas(user, shared) == services.weak_areas(user)
        assert (services.domain_performances(user, exams, tallies=shared)
                == services.domain_performances(user, exams))
        assert recommendations(user, tallies=shared) == recommendations(user)
        other_user = gen_user(app, username="someone-else")
        assert services.weak_areas(db.session.get(User, other_user.id), shared).weak_domains == []
        one_exam = services.objective_tallies(user, exam_ids=[other.id])
        assert services.weak_areas(user, one_exam) == services.weak_areas(user)  # not every exam: read again

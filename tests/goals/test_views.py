"""The goals page, the navigation meter and the dashboard widget: no-JS forms (set, replace, delete,
exam dates, refusals with the reason), the meter out of band in the study answer and the quiz
answer save, "goal reached" said once, CSRF, sign-in and no-store."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, choice_ids, gen_bank, gen_study_answer, gen_user
from webapp import create_app
from webapp.extensions import db
from webapp.gamification.services import local_day
from webapp.goals import services
from webapp.models import DailyGoal, ExamDate, GoalDay, Question, QuizAttempt, StudySession, User
from webapp.models.base import utcnow
from webapp.models.enums import GoalType, QuizMode

HX = {"HX-Request": "true"}


SOON = (date.today() + timedelta(days=60)).isoformat()  # an exam date the bound allows

def _html(response) -> str:
    return response.get_data(as_text=True)


def _goals(app, user_id: int) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(sa.select(DailyGoal.goal_type, DailyGoal.target)
                                       .where(DailyGoal.user_id == user_id)).all())


def _set_goal(app, user_id: int, target: int, kind: str = GoalType.DAILY_QUESTIONS.value) -> None:
    with app.app_context():
        services.set_goal(db.session.get(User, user_id), kind, target)


def _meter(html: str) -> str:
    found = re.search(r'<span id="goal-meter".*?</span>\s*</span>|<span id="goal-meter".*?</a>\s*</span>', html, re.S)
    assert found, "no goal meter"
    return found.group(0)


def _latest(app, model):
    with app.app_context():
        row = db.session.scalar(sa.select(model).order_by(model.id.desc()))
        db.session.expunge(row)
        return row


def test_the_goals_page_needs_sign_in(client):
    """A visitor asking for the goals page is sent to sign in."""
    response = client.get("/goals")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_goals_page_offers_both_goals_and_exam_dates_and_is_no_store(client, app, signed_in):
    """The page has one form per goal type with the configured bounds, the exam-date form, and is no-store."""
    gen_bank(app, per_objective=1)
    response = client.get("/goals")
    html = _html(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<legend>Questions a day</legend>' in html and '<legend>Minutes a day</legend>' in html
    assert 'min="5" max="500"' in html and 'min="5" max="300"' in html
    assert '<legend>Set or move an exam date</legend>' in html and 'name="exam_on"' in html
    assert "No exam date yet." in html


def _form_fields(html: str, legend: str) -> dict[str, list[str]]:
    """The inputs of the goals-page form whose fieldset has this legend, as the browser posts them."""
    form = next(part for part in re.findall(r"<form.*?</form>", html, re.S) if f"<legend>{legend}</legend>" in part)
    found: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            found.setdefault(name.group(1), []).append(value.group(1) if value else "")
    return found


def test_plain_forms_set_replace_and_delete_a_goal(client, app, signed_in):
    """Without JavaScript: the page's own form sets, a second POST replaces, the remove form deletes (each redirects back)."""
    fields = _form_fields(_html(client.get("/goals")), "Questions a day")
    assert fields["goal_type"] == ["daily_questions"] and set(fields) == {"goal_type", "target"}
    for target in ("10", "20"):
        response = client.post("/goals", data={**fields, "target": target})
        assert response.status_code == 302 and response.headers["Location"].endswith("/goals")
    assert _goals(app, signed_in.id) == {"daily_questions": 20}
    assert "Replace goal" in _html(client.get("/goals"))
    assert client.post("/goals/daily_questions/delete").status_code == 302
    assert _goals(app, signed_in.id) == {}


def test_an_out_of_range_target_shows_the_reason(client, app, signed_in):
    """A target over the bound is 400 with the page again and the reason next to that goal's field."""
    response = client.post("/goals", data={"goal_type": "daily_minutes", "target": "301"})
    html = _html(response)
    assert response.status_code == 400
    assert re.search(r'id="goal-target-daily_minutes-error">The target must be a whole number from 5 to 300\.', html)
    assert _goals(app, signed_in.id) == {}


def test_an_unknown_goal_type_shows_the_reason(client, app, signed_in):
    """A posted goal type outside GoalType is 400 with the reason on the page, and nothing is saved."""
    response = client.post("/goals", data={"goal_type": "weekly", "target": "10"})
    assert response.status_code == 400 and 'role="alert">The goal type must be one of' in _html(response)
    assert _goals(app, signed_in.id) == {}


def test_exam_date_forms_set_suggest_and_remove(client, app, signed_in):
    """The exam-date form saves a date; the page shows the countdown and suggestion, whose button sets
    that goal; a past date or one past the bound is 400 with the reason; remove deletes it."""
    gen_bank(app, per_objective=4)  # 12 questions
    day = local_day(utcnow(), "UTC") + timedelta(days=2)
    assert client.post("/goals/exam-dates", data={"exam": "demo", "exam_on": day.isoformat()}).status_code == 302
    html = _html(client.get("/goals"))
    assert "2 days to go" in html and "Suggested: <strong>6 questions a day</strong>" in html
    client.post("/goals", data={"goal_type": "daily_questions", "target": "6"})
    assert _goals(app, signed_in.id) == {"daily_questions": 6}
    past = client.post("/goals/exam-dates", data={"exam": "demo", "exam_on": "2000-01-01"})
    assert past.status_code == 400 and "The exam date must be today or later." in _html(past)
    far = client.post("/goals/exam-dates", data={"exam": "demo", "exam_on": "2999-01-01"})
    latest = (local_day(utcnow(), "UTC") + timedelta(days=app.config["EXAM_DATE_MAX_DAYS_AHEAD"])).isoformat()
    assert far.status_code == 400 and f"The exam date must be on or before {latest}." in _html(far)
    assert f'max="{latest}"' in _html(far)
    assert client.post("/goals/exam-dates/demo/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamDate)) == 0


def test_the_meter_is_in_the_navigation_on_every_page(client, app, signed_in):
    """Signed in without a goal the meter is a Goals link; with one it reads "N/target questions"."""
    assert '<a href="/goals">Goals</a>' in _meter(_html(client.get("/")))
    _set_goal(app, signed_in.id, 10)
    gen_bank(app, per_objective=1)
    meter = _meter(_html(client.get("/exams")))
    assert '<span class="goal-meter-count">0/10</span><span class="visually-hidden"> questions</span>' in meter


def test_the_dashboard_widget_shows_the_ring_the_rest_and_the_countdown(client, app, signed_in):
    """The widget has the ring's text equivalent, "N more to reach today's goal", the streak and the exam countdown."""
    exam = gen_bank(app, per_objective=4)
    _set_goal(app, signed_in.id, 10)
    with app.app_context():
        questions = list(db.session.scalars(sa.select(Question).limit(3)))
        for question in questions:
            db.session.expunge(question)
        services.set_exam_date(db.session.get(User, signed_in.id), exam.slug, local_day(utcnow(), "UTC") + timedelta(days=5))
    for question in questions:
        gen_study_answer(app, signed_in, question, True)
    html = _html(client.get("/"))
    widget = html[html.index('<section id="goal-widget"'):]
    assert "<li>3 of 10 questions</li>" in widget and "7 more questions to reach today's goal." in widget
    assert 'stroke-dasharray="30 100"' in widget and "Goal streak: <strong>0 days</strong>" in widget
    assert "<strong>5 days</strong> to go" in widget


def test_the_study_answer_sends_the_meter_out_of_band(client, app, signed_in):
    """The htmx study answer carries the meter (hx-swap-oob) with the new count."""
    gen_bank(app, per_objective=4)
    _set_goal(app, signed_in.id, 5)
    client.post("/quizzes", data={"exam": "demo", "mode": QuizMode.STUDY.value, "count": "5"})
    session = _latest(app, StudySession)
    with app.app_context():
        from webapp.models import StudyQuestion
        sq = db.session.scalar(sa.select(StudyQuestion).where(StudyQuestion.session_id == session.id,
                                                              StudyQuestion.position == 0))
        right = [str(c) for c in choice_ids(sq.question_id)]
    html = _html(client.post(f"/study/{session.id}/q/1/answer", data={"choice": right}, headers=HX))
    meter = _meter(html)
    assert 'hx-swap-oob="true"' in meter and '<span class="goal-meter-count">1/5</span>' in meter


def test_the_quiz_answer_save_sends_the_meter_out_of_band(client, app, signed_in):
    """The htmx quiz answer save carries the meter out of band, counting the open quiz's answer."""
    gen_bank(app, per_objective=4)
    _set_goal(app, signed_in.id, 5)
    client.post("/quizzes", data={"exam": "demo", "mode": QuizMode.PRACTICE.value, "count": "5"})
    attempt = _latest(app, QuizAttempt)
    with app.app_context():
        from webapp.models import AttemptQuestion
        aq = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id,
                                                                AttemptQuestion.position == 0))
        choice = str(aq.choice_order[0])
    html = _html(client.post(f"/quizzes/{attempt.id}/q/1/answer", data={"choice": choice}, headers=HX))
    meter = _meter(html)
    assert 'hx-swap-oob="true"' in meter and '<span class="goal-meter-count">1/5</span>' in meter


def test_goal_reached_is_said_once(client, app, signed_in):
    """On a met day the meter and the widget say "Goal reached" with the POST that records it; after
    the POST, the next page says it no more (the meter still shows the day as met)."""
    _set_goal(app, signed_in.id, 5)
    with app.app_context():
        day = local_day(utcnow(), "UTC")
        db.session.add(GoalDay(user_id=signed_in.id, day=day))
        db.session.commit()
    html = _html(client.get("/"))
    assert "Goal reached!" in _meter(html) and 'hx-trigger="load"' in _meter(html)
    assert "🎉 Goal reached!" in html and f'name="day" value="{day.isoformat()}"' in html
    response = client.post("/goals/announced", data={"day": day.isoformat()}, headers=HX)
    assert response.status_code == 204
    html = _html(client.get("/"))
    assert "Goal reached" not in html and "goal-meter-link is-met" in html and "Done for today." in html


def test_the_announced_form_without_javascript_returns_to_the_dashboard(client, app, signed_in):
    """The Dismiss form posts the day and redirects to the dashboard; a malformed day is 400."""
    assert client.post("/goals/announced", data={"day": "2025-01-01"}).status_code == 302
    assert client.post("/goals/announced", data={"day": "soon"}).status_code == 400


def test_another_learner_never_sees_the_goals(client, app, signed_in):
    """Another learner's goal and met day appear nowhere on this learner's dashboard or goals page."""
    other = gen_user(app, username="neighbour")
    _set_goal(app, other.id, 77)
    with app.app_context():
        db.session.add(GoalDay(user_id=other.id, day=local_day(utcnow(), "UTC")))
        db.session.commit()
    for path in ("/", "/goals"):
        html = _html(client.get(path))
        assert "77" not in html and "Goal reached" not in html
        assert '<a href="/goals"' in html


@pytest.fixture
def csrf_client(app):
    """A client of the app with CSRF switched on, as in production, and a signed-in learner."""
    csrf_app = create_app(type("CsrfOn", (TestingConfig,), {"WTF_CSRF_ENABLED": True}))
    user = gen_user(csrf_app, username="csrfgoals")
    browser = csrf_app.test_client()
    page = _html(browser.get("/auth/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    browser.post("/auth/login", data={"login": user.username, "password": DEFAULT_PASSWORD, "csrf_token": token})
    return csrf_app, browser, user


def test_goal_forms_need_the_csrf_token(csrf_client):
    """Every goals POST without the token is 400 and changes nothing; with the page's token the goal is set."""
    csrf_app, browser, user = csrf_client
    for url, data in (("/goals", {"goal_type": "daily_questions", "target": "10"}),
                      ("/goals/daily_questions/delete", {}), ("/goals/exam-dates", {"exam": "demo", "exam_on": SOON}),
                      ("/goals/exam-dates/demo/delete", {}), ("/goals/announced", {"day": "2025-01-01"})):
        assert browser.post(url, data=data).status_code == 400, url
    assert _goals(csrf_app, user.id) == {}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _html(browser.get("/goals"))).group(1)
    browser.post("/goals", data={"goal_type": "daily_questions", "target": "10", "csrf_token": token})
    assert _goals(csrf_app, user.id) == {"daily_questions": 10}


# endpoint -> (method, path, form). Every browser goals route must be listed: a new one needs a row.
BROWSER_MATRIX = {
    "goals.page": ("GET", "/goals", None),
    "goals.set_goal": ("POST", "/goals", {"goal_type": "daily_questions", "target": "10"}),
    "goals.delete_goal": ("POST", "/goals/daily_questions/delete", {}),
    "goals.set_exam_date": ("POST", "/goals/exam-dates", {"exam": "demo", "exam_on": SOON}),
    "goals.clear_exam_date": ("POST", "/goals/exam-dates/demo/delete", {}),
    "goals.mark_announced": ("POST", "/goals/announced", {"day": "2025-01-01"}),
}


def test_every_browser_goals_route_is_in_the_matrix(app):
    """Walking the URL map: every goals.* route has a row in BROWSER_MATRIX with its method."""
    found = {rule.endpoint: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("goals.")}
    assert found == {endpoint: {method} for endpoint, (method, _path, _form) in BROWSER_MATRIX.items()}


def test_visitors_are_sent_to_sign_in_and_change_nothing(client, app):
    """Every browser goals route redirects a visitor to sign in, and no goal or date is written."""
    gen_bank(app, per_objective=1)
    for endpoint, (method, path, form) in BROWSER_MATRIX.items():
        response = client.open(path, method=method, data=form)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], endpoint
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyGoal)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamDate)) == 0


def test_another_learners_forms_touch_only_their_own_goals(client, app, signed_in):
    """A signed-in learner's delete and announce posts leave another learner's goal, date and met day alone."""
    exam = gen_bank(app, per_objective=1)
    owner = gen_user(app, username="owner")
    _set_goal(app, owner.id, 30)
    day = local_day(utcnow(), "UTC")
    with app.app_context():
        services.set_exam_date(db.session.get(User, owner.id), exam.slug, day)
        db.session.add(GoalDay(user_id=owner.id, day=day))
        db.session.commit()
    assert client.post("/goals/daily_questions/delete").status_code == 404
    assert client.post(f"/goals/exam-dates/{exam.slug}/delete").status_code == 404
    client.post("/goals/announced", data={"day": day.isoformat()})
    assert _goals(app, owner.id) == {"daily_questions": 30}
    with app.app_context():
        assert db.session.get(GoalDay, (owner.id, day)).announced_at is None
        assert db.session.get(ExamDate, (owner.id, exam.id)) is not None

"""Leaderboard, achievements and dashboard pages and their JSON API contracts."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import bearer, gen_bank, gen_token, gen_user
from webapp.extensions import db
from webapp.gamification import services
from webapp.models import Choice
from webapp.models.base import utcnow


def _xp(app, user, amount: int) -> None:
    with app.app_context():
        services.award_xp(user.id, "test", f"seed:{user.id}", amount, utcnow())
        db.session.commit()


def test_leaderboard_api_contract(client, app):
    """GET /api/v1/leaderboard returns period, entries with rank/username/xp/level, and me."""
    ann, bob = gen_user(app, username="ann"), gen_user(app, username="bob")
    _xp(app, ann, 300)
    _xp(app, bob, 100)
    body = client.get("/api/v1/leaderboard?period=all", headers=bearer(gen_token(app, bob))).get_json()
    assert body["period"] == "all"
    assert body["entries"][0] == {"rank": 1, "username": "ann", "xp": 300, "level": 3}
    assert body["me"] == {"rank": 2, "xp": 100, "level": 2}
    week = client.get("/api/v1/leaderboard?period=week", headers=bearer(gen_token(app, bob))).get_json()
    assert week["period"] == "week" and [e["username"] for e in week["entries"]] == ["ann", "bob"]
    bad = client.get("/api/v1/leaderboard?period=year", headers=bearer(gen_token(app, bob)))
    assert bad.status_code == 400 and bad.get_json()["field"] == "period"


def test_leaderboard_api_me_is_null_when_opted_out(client, app):
    """An opted-out caller gets "me": null."""
    hidden = gen_user(app, username="hidden", show_on_leaderboard=False)
    body = client.get("/api/v1/leaderboard", headers=bearer(gen_token(app, hidden))).get_json()
    assert body["me"] is None


def test_achievements_api_contract(client, app):
    """GET /api/v1/users/me/achievements lists every achievement with earned_at and progress."""
    user = gen_user(app, username="collector")
    body = client.get("/api/v1/users/me/achievements", headers=bearer(gen_token(app, user))).get_json()
    assert len(body) >= 12
    first = next(a for a in body if a["code"] == "ten_quizzes")
    assert set(first) == {"code", "name", "description", "earned_at", "progress"}
    assert first["earned_at"] is None and first["progress"] == {"current": 0, "target": 10}


def test_users_me_includes_streak(client, app):
    """GET /api/v1/users/me gains streak {current, longest, freezes}."""
    user = gen_user(app, username="streaky")
    body = client.get("/api/v1/users/me", headers=bearer(gen_token(app, user))).get_json()
    assert body["streak"] == {"current": 0, "longest": 0, "freezes": 0}


def test_leaderboard_page_tabs(client, app):
    """The page shows the all-time tab; the week tab comes back as a fragment for htmx."""
    user = gen_user(app, username="boldx")
    _xp(app, user, 120)
    page = client.get("/leaderboard").get_data(as_text=True)
    assert "boldx" in page and 'id="leaderboard"' in page and "<html" in page
    fragment = client.get("/leaderboard?period=week", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.startswith('<div id="leaderboard"') and "HX-Request" in fragment.headers["Vary"]


def test_leaderboard_page_shows_my_rank_outside_top(client, app, signed_in):
    """A signed-in learner below the top 50 sees their own rank under the table."""
    for n in range(51):
        _xp(app, gen_user(app, username=f"lead{n:02d}"), 500 + n)
    html = client.get("/leaderboard").get_data(as_text=True)
    assert re.search(r'id="my-rank">Your rank: <strong>#52</strong>', html)
    assert "example.com" not in html


def test_achievements_page_needs_login_and_shows_progress(client, sign_in):
    """The achievements page lists locked achievements with progress bars."""
    assert client.get("/achievements").status_code == 302
    sign_in()
    html = client.get("/achievements").get_data(as_text=True)
    assert "0 / 10" in html and "0 of 14 unlocked" in html


def test_dashboard_for_signed_in_learner(client, app, signed_in):
    """`/` shows level, streak with freezes, shortcuts per exam and empty states for a new learner."""
    gen_bank(app, per_objective=4)
    html = client.get("/").get_data(as_text=True)
    assert f"Welcome back, {signed_in.username}" in html and "Level 1" in html and "freeze" in html
    assert "No quizzes yet" in html and 'id="xp-badge"' in html


def test_htmx_submit_swaps_result_and_xp_badge(client, app, signed_in):
    """Submitting with htmx returns the result with an out-of-band navbar XP badge and pushes the URL."""
    exam = gen_bank(app, per_objective=4)
    client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "10"})
    from webapp.models import AttemptQuestion, QuizAttempt

    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt))
        rows = db.session.execute(sa.select(AttemptQuestion.position, Choice.id)
                                  .join(Choice, Choice.question_id == AttemptQuestion.question_id)
                                  .where(Choice.is_correct.is_(True))).all()
        attempt_id = attempt.id
    for position, correct in rows:  # a bonus and an achievement need the questions answered
        client.post(f"/quizzes/{attempt_id}/q/{position + 1}/answer", data={"choice": str(correct)})
    response = client.post(f"/quizzes/{attempt_id}/submit", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.headers["HX-Push-Url"] == f"/quizzes/{attempt_id}/result"
    assert "<html" not in html and "Quiz complete" in html
    assert re.search(r'<a id="xp-badge"[^>]*hx-swap-oob="true"', html) and "250 XP" in html
    assert "Achievement unlocked: First steps" in html

"""Times are shown in the signed-in learner's time zone, with the zone named, on every page."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from tests.factories import gen_bank, gen_token
from webapp.extensions import db
from webapp.models import ApiToken, QuizAttempt, UserAchievement

WINTER = datetime(2026, 12, 1, 14, 5, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 1, 18, 30, tzinfo=timezone.utc)


def test_format_local_names_the_zone():
    """A UTC moment is shown in the zone with its short name, its UTC offset when it has none, or UTC."""
    from webapp.timefmt import format_local

    assert format_local(WINTER, "Europe/London") == "1 Dec 2026, 14:05 GMT"
    assert format_local(SUMMER, "Europe/London") == "1 Jul 2026, 19:30 BST"
    assert format_local(SUMMER, "America/New_York") == "1 Jul 2026, 14:30 EDT"
    assert format_local(WINTER, "Asia/Riyadh") == "1 Dec 2026, 17:05 UTC+03"
    assert format_local(WINTER, "Not/AZone") == "1 Dec 2026, 14:05 UTC"
    assert format_local(datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc), "Asia/Tokyo", "date") == "2 Dec 2026"


def test_history_and_result_show_times_in_the_learners_zone(client, app, sign_in):
    """My quizzes and the result page show when a quiz started and finished in the learner's zone, labelled."""
    sign_in(timezone="America/New_York")
    exam = gen_bank(app, per_objective=4)
    start = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5", "timed": "y"})
    attempt_id = int(start.headers["Location"].split("/")[2])
    client.post(f"/quizzes/{attempt_id}/submit")
    with app.app_context():
        db.session.execute(sa.update(QuizAttempt).where(QuizAttempt.id == attempt_id)
                           .values(started_at=SUMMER, finished_at=SUMMER.replace(minute=45)))
        db.session.commit()
    history = client.get("/quizzes").get_data(as_text=True)
    assert '<td data-label="Started"><time datetime="2026-07-01T18:30:00Z"' in history
    assert ">1 Jul 2026, 14:30 EDT</time>" in history and "18:30" not in re.sub(r"<[^>]+>", "", history)
    result = client.get(f"/quizzes/{attempt_id}/result").get_data(as_text=True)
    assert re.search(r'Finished <time datetime="2026-07-01T18:45:00Z"[^>]*>1 Jul 2026, 14:45 EDT</time>', result)


def test_account_tokens_show_times_in_the_learners_zone(client, app, sign_in):
    """The API tokens table shows created, expiry and last use in the learner's zone, labelled."""
    user = sign_in(timezone="Europe/London")
    gen_token(app, user)
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(created_at=WINTER, expires_at=SUMMER, last_used_at=WINTER))
        db.session.commit()
    html = client.get("/account").get_data(as_text=True)
    assert '<td data-label="Created"><time datetime="2026-12-01T14:05:00Z"' in html
    assert ">1 Dec 2026, 14:05 GMT</time>" in html and ">1 Jul 2026, 19:30 BST</time>" in html
    assert '<td data-label="Last used"><time' in html


def test_achievements_show_when_earned_in_the_learners_zone(client, app, sign_in):
    """An earned achievement says when, in the learner's zone, labelled; the dashboard shows the local day."""
    user = sign_in(timezone="Asia/Tokyo")
    with app.app_context():
        db.session.add(UserAchievement(user_id=user.id, code="first_quiz", earned_at=datetime(
            2026, 12, 1, 23, 30, tzinfo=timezone.utc)))
        db.session.commit()
    html = client.get("/achievements").get_data(as_text=True)
    assert re.search(r'Earned <time datetime="2026-12-01T23:30:00Z"[^>]*>2 Dec 2026, 08:30 JST</time>', html)
    dashboard = client.get("/").get_data(as_text=True)
    assert re.search(r'<time datetime="2026-12-01T23:30:00Z" title="2 Dec 2026, 08:30 JST \(Asia/Tokyo\)">2 Dec 2026</time>',
                     dashboard)

"""The quiz start form: limits and help text from config, and one context for the page it lives on."""

from __future__ import annotations

import re

from tests.factories import gen_bank, gen_token


def test_start_form_limits_and_hints_follow_config(client, app, monkeypatch, signed_in):
    """The start form's count range, its hint, the timing label and the check all use the config."""
    monkeypatch.setitem(app.config, "QUIZ_MIN_COUNT", 3)
    monkeypatch.setitem(app.config, "QUIZ_MAX_COUNT", 10)
    monkeypatch.setitem(app.config, "QUIZ_SECONDS_PER_QUESTION", 60)
    monkeypatch.setitem(app.config, "QUIZ_DEFAULT_COUNT", 4)
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert 'max="10"' in html and 'min="3"' in html and 'value="4"' in html
    assert "3 to 10." in html and "Timed (60 seconds a question" in html
    assert "5 to 90" not in html and "72 seconds" not in html
    refused = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "11"})
    assert refused.status_code == 400 and "Number must be between 3 and 10." in refused.get_data(as_text=True)
    started = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "3"})
    assert started.status_code == 302


def test_pages_state_token_lifetime_and_count_range_from_config(client, app, monkeypatch, sign_in):
    """The account page's token lifetime and the landing page's quiz lengths are the config's."""
    monkeypatch.setitem(app.config, "API_TOKEN_TTL_DAYS", 14)
    monkeypatch.setitem(app.config, "QUIZ_MIN_COUNT", 3)
    monkeypatch.setitem(app.config, "QUIZ_MAX_COUNT", 10)
    landing = client.get("/").get_data(as_text=True)
    assert "from 3 to 10 questions" in landing and "90 questions" not in landing
    gen_token(app, sign_in())
    assert "They expire after 14 days." in client.get("/account").get_data(as_text=True)


def _page_text(html: str) -> str:
    """The page text from the header on, tags removed and whitespace collapsed, minus form errors."""
    html = re.sub(r'<p class="field-error".*?</p>', "", html, flags=re.S)
    body = html[html.index('<header class="page-header">'):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_refused_start_shows_the_exam_page_as_its_get_does(client, app, signed_in):
    """A start refused by the form re-renders /exams/<slug> from the same context as the page's GET:
    overview, start form and the open quiz banner."""
    exam = gen_bank(app, per_objective=4)
    assert client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5"}).status_code == 302
    page = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    refused = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "500"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="continue-quiz"' in html and 'id="count-error"' in html
    assert _page_text(html) == _page_text(page)

"""The dashboard's "Recommended for you" card: a fragment with one plain POST form per item
(CSRF token, hidden start fields) that starts the quiz without JavaScript."""

from __future__ import annotations

import re

from tests.recommendations.helpers import bank, weak_history


def test_the_dashboard_shows_the_card_with_one_form_per_item(client, app, signed_in, monkeypatch):
    """Three recommendations give three POST forms to the quiz start, each with the CSRF token and its fields."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _, questions = bank(app)
    weak_history(app, signed_in, questions)
    html = client.get("/").get_data(as_text=True)
    assert 'id="recommendations"' in html and "Recommended for you" in html
    forms = re.findall(r'<form method="post" action="/quizzes" class="recommendation-start">(.*?)</form>', html, re.S)
    assert len(forms) == 3
    assert all('name="csrf_token"' in form and 'name="exam" value="demo"' in form for form in forms)
    assert 'name="objectives" value="1.1"' in forms[1] and 'name="source" value="missed"' in forms[2]


def test_a_recommendation_button_starts_the_quiz_without_javascript(client, app, signed_in, monkeypatch):
    """Posting the weak objective's form fields (with CSRF checked) to /quizzes opens the quiz's first question."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _, questions = bank(app)
    weak_history(app, signed_in, questions)
    html = client.get("/").get_data(as_text=True)
    form = re.findall(r'<form method="post" action="/quizzes" class="recommendation-start">(.*?)</form>', html, re.S)[1]
    fields = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    assert "csrf_token" in data and data["objectives"] == ["1.1"]
    response = client.post("/quizzes", data=data)
    assert response.status_code == 302 and re.search(r"/quizzes/\d+/q/1$", response.headers["Location"])


def test_a_new_learner_sees_the_diagnostic_button(client, app, signed_in):
    """With no answers the card offers the diagnostic quiz."""
    bank(app)
    html = client.get("/").get_data(as_text=True)
    assert "Start with a 10-question diagnostic quiz" in html and "Start the " in html


def test_the_fragment_never_extends_the_base_and_keeps_its_id(app):
    """templates/recommendations/_list.html renders alone with its stable root id and no <html>."""
    from flask import render_template

    from webapp.bookmarks.forms import CsrfForm

    with app.test_request_context():
        html = render_template("recommendations/_list.html", recommendations=[], recommendation_form=CsrfForm())
    assert "<html" not in html and 'id="recommendations"' in html and "Nothing to suggest" in html

"""One rule decides which exams someone sees: the pages, the API and the quiz engine all ask it."""

from __future__ import annotations

import pytest

from tests.factories import bearer, gen_bank, gen_exam, gen_question, gen_token, gen_user


@pytest.fixture
def retired(app):
    """An active exam with questions and a retired one with an active question."""
    gen_bank(app, per_objective=2, slug="current")
    exam = gen_exam(app, slug="retired", name="Retired+", is_active=False)
    question = gen_question(app, exam, objective="1.1", stem="A question of a retired exam?")
    return exam, question


def _api_slugs(client, headers) -> set[str]:
    return {exam["slug"] for exam in client.get("/api/v1/exams", headers=headers).get_json()}


def _page_slugs(client) -> set[str]:
    html = client.get("/exams").get_data(as_text=True)
    return {slug for slug in ("current", "retired") if f'id="exam-{slug}"' in html}


def test_learners_never_see_a_retired_exam_on_any_path(client, app, retired, signed_in):
    """A retired exam is missing from the catalogue page and GET /exams, a 404 page, unknown to
    GET /questions, its questions unlisted and 404, and no quiz starts on it."""
    exam, question = retired
    headers = bearer(gen_token(app, gen_user(app, username="apilearner")))
    assert _page_slugs(client) == _api_slugs(client, headers) == {"current"}
    assert client.get("/exams/retired").status_code == 404
    listed = client.get("/api/v1/questions?exam_type=retired", headers=headers)
    assert listed.status_code == 400 and listed.get_json()["code"] == "UNKNOWN_EXAM"
    everything = client.get("/api/v1/questions?per_page=100", headers=headers).get_json()["items"]
    assert everything and question.id not in {item["id"] for item in everything}
    assert client.get(f"/api/v1/questions/{question.id}", headers=headers).status_code == 404
    started = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": "retired", "count": 5})
    assert started.status_code == 400 and started.get_json()["code"] == "UNKNOWN_EXAM"
    assert client.post("/quizzes", data={"exam": "retired", "mode": "practice", "count": "5"}).status_code == 404


def test_admins_see_a_retired_exam_on_page_and_api_but_start_no_quiz(client, app, retired, admin):
    """Admins see a retired exam in the catalogue page and GET /exams alike, with its questions in
    the API and a retired note on its page; a quiz still cannot start on it."""
    exam, question = retired
    headers = bearer(gen_token(app, gen_user(app, username="apicurator", is_admin=True)))
    assert _page_slugs(client) == _api_slugs(client, headers) == {"current", "retired"}
    page = client.get("/exams/retired")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="retired-note"' in html and 'action="/quizzes"' not in html
    listed = client.get("/api/v1/questions?exam_type=retired", headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [question.id]
    assert client.get(f"/api/v1/questions/{question.id}", headers=headers).status_code == 200
    started = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": "retired", "count": 5})
    assert started.status_code == 400 and started.get_json()["code"] == "UNKNOWN_EXAM"

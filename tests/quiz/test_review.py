"""The review shows the answer key an attempt was scored against, on the page and in the API."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import bearer, choice_ids, gen_bank, gen_token
from webapp.extensions import db
from webapp.models import Choice


def _correct_the_key(app, question_id: int) -> tuple[list[int], list[int]]:
    """Move a question's key to another choice, as an admin correcting it would; (old, new) ids."""
    with app.app_context():
        choices = list(db.session.scalars(sa.select(Choice).where(Choice.question_id == question_id)
                                          .order_by(Choice.position)))
        old = [c.id for c in choices if c.is_correct]
        new = [c.id for c in choices if not c.is_correct][:1]
        for choice in choices:
            choice.is_correct = choice.id in new
        db.session.commit()
    return old, new


def _keyed_choice_texts(html: str) -> list[str]:
    """The texts of the choices the review page marks as the correct answer."""
    keyed = r'<li class="is-key[^"]*">\s*<p><span class="choice-letter"[^>]*>.</span>\s*([^<\n]+?)\s*\n'
    return re.findall(keyed, html)


def _choice_text(app, choice_id: int) -> str:
    with app.app_context():
        return db.session.get(Choice, choice_id).text


def test_review_page_and_api_show_the_scored_key_after_a_correction(client, app, signed_in):
    """After a key is corrected, the HTML review and the API both show the key the attempt was
    scored against, and the page says the key has changed since."""
    exam = gen_bank(app, per_objective=4)
    headers = bearer(gen_token(app, signed_in))
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    first = quiz["questions"][0]["id"]
    with app.app_context():
        scored_key = choice_ids(first)
    client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{first}", headers=headers,
               json={"choice_ids": scored_key, "marked": True})
    client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    old, new = _correct_the_key(app, first)
    assert old == scored_key and new != old

    review = {entry["question_id"]: entry for entry in
              client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["result"]["review"]}
    assert review[first]["correct_choice_ids"] == scored_key and review[first]["is_correct"] is True
    assert review[first]["key_changed"] is True
    assert [entry["key_changed"] for qid, entry in review.items() if qid != first] == [False] * 4

    html = client.get(f"/quizzes/{quiz['id']}/review?show=marked").get_data(as_text=True)
    assert _keyed_choice_texts(html) == [_choice_text(app, scored_key[0])]
    assert html.count("has been corrected since this quiz was scored") == 1
    everything = client.get(f"/quizzes/{quiz['id']}/review").get_data(as_text=True)
    assert everything.count("has been corrected since this quiz was scored") == 1


def test_review_without_corrections_has_no_key_note(client, app, signed_in):
    """An attempt whose keys are unchanged shows no correction note and key_changed false everywhere."""
    exam = gen_bank(app, per_objective=4)
    headers = bearer(gen_token(app, signed_in))
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    review = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["result"]["review"]
    assert [entry["key_changed"] for entry in review] == [False] * 5
    html = client.get(f"/quizzes/{quiz['id']}/review").get_data(as_text=True)
    assert "has been corrected" not in html and len(_keyed_choice_texts(html)) == 5

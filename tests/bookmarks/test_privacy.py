"""Bookmarks, tags and notes are personal data: exported with the account and deleted with it."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.factories import DEFAULT_PASSWORD, gen_bookmark, gen_exam, gen_note, gen_question, gen_user
from webapp.extensions import db
from webapp.models import BookmarkTag, QuestionBookmark, QuestionNote


def _counts(app, user_id: int) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == user_id))
                     for model in (QuestionBookmark, BookmarkTag, QuestionNote))


def test_the_export_contains_bookmarks_tags_and_notes(client, app, signed_in):
    """The account export lists the learner's bookmarks, their tags as spelled and every note's text."""
    exam = gen_exam(app)
    marked, loose = gen_question(app, exam), gen_question(app, exam)
    gen_bookmark(app, signed_in, marked, tags=["VPN", "ports"], notes="Bookmarked note")
    gen_note(app, signed_in, loose, "Loose note")
    response = client.post("/account/export", data={"current_password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert [b["question_id"] for b in data["bookmarks"]] == [marked.id]
    assert sorted(t["name"] for t in data["bookmark_tags"]) == ["VPN", "ports"]
    assert sorted(n["body"] for n in data["notes"]) == ["Bookmarked note", "Loose note"]


def test_deleting_the_account_removes_bookmarks_tags_and_notes(client, app, signed_in):
    """Account deletion leaves none of the learner's bookmarks, tags or notes, and another learner's stay."""
    question = gen_question(app, gen_exam(app))
    bystander = gen_user(app, username="bystander")
    for user in (signed_in, bystander):
        gen_bookmark(app, user, question, tags=["keep"], notes="A note")
    assert _counts(app, signed_in.id) == (1, 1, 1)
    response = client.post("/account/delete", data={"current_password": DEFAULT_PASSWORD, "confirm": "delete my account"})
    assert response.status_code == 302
    assert _counts(app, signed_in.id) == (0, 0, 0)
    assert _counts(app, bystander.id) == (1, 1, 1)

"""The editor page: full page and fragment, the no-JS save, errors beside their fields, CSRF, escaping."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import choice_ids, gen_exam, gen_ordering_question, gen_question, gen_user, login
from webapp.extensions import db
from webapp.models import Question, QuestionVersion

HTMX = {"HX-Request": "true"}


def _form(app, question_id: int, **overrides) -> dict:
    """The editor form as the page fills it for the stored question, with `overrides`."""
    with app.app_context():
        question = db.session.get(Question, question_id)
        data = {"expected_version": str(question.version), "objective": question.objective.code,
                "difficulty": str(question.difficulty), "stem": question.stem, "exhibit": "",
                "explanation": question.explanation, "reference": question.reference or "", "is_active": "y"}
        for index, choice in enumerate(question.choices):
            data |= {f"choices-{index}-choice_id": str(choice.id), f"choices-{index}-text": choice.text,
                     f"choices-{index}-rationale": choice.rationale, f"choices-{index}-place": str(index + 1)}
            if choice.is_correct:
                data[f"choices-{index}-correct"] = "y"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_full_page_and_fragment(client, app, admin):
    """The page renders the editor inside the layout; with htmx only the fragment, rooted at #question-editor."""
    question = gen_question(app, gen_exam(app))
    url = f"/admin/questions/{question.id}/edit"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="question-editor"' in html
    with app.app_context():
        first = db.session.get(Question, question.id).choices[0].id
    assert f'name="choices-0-choice_id" type="hidden" value="{first}"' in html
    assert 'href="/admin/flags/%d"' % question.id in html
    fragment = client.get(url, headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<section id="question-editor"')
    assert 'hx-target="this"' in body and "HX-Request" in fragment.headers["Vary"]


def test_plain_post_saves_and_redirects_to_the_diff(client, app, admin):
    """Without JavaScript a save redirects (303) to the new version's diff page, which shows the word diff."""
    question = gen_question(app, gen_exam(app), stem="Which port does SSH use?")
    response = client.post(f"/admin/questions/{question.id}/edit",
                           data=_form(app, question.id, stem="Which TCP port does SSH use?"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/questions/{question.id}/versions/2")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<ins> TCP</ins>" in html and "Version 2" in html and 'id="version-history"' in html


def test_htmx_post_swaps_in_the_new_version_and_its_diff(client, app, admin):
    """With htmx a save returns the editor on the new version, with the diff and the saved notice."""
    question = gen_question(app, gen_exam(app))
    with app.app_context():
        ids = choice_ids(question.id) + choice_ids(question.id, False)
    data = _form(app, question.id, **{"choices-0-correct": None, "choices-1-correct": "y"})
    response = client.post(f"/admin/questions/{question.id}/edit", data=data, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Saved version 2." in html and 'id="version-diff"' in html and "The key changed" in html
    assert 'name="expected_version" type="hidden" value="2"' in html
    with app.app_context():
        assert choice_ids(question.id) == [ids[1]]


def test_errors_sit_beside_their_fields_and_keep_what_was_typed(client, app, admin):
    """An invalid save is a 400 that keeps every typed value, marks each field aria-invalid with its
    message, and opens with a focused summary linking to the fields."""
    question = gen_question(app, gen_exam(app))
    data = _form(app, question.id, stem="", explanation="My new explanation <b>kept</b>",
                 exhibit='{"kind": "text"', **{"choices-0-correct": None, "choices-2-text": ""})
    response = client.post(f"/admin/questions/{question.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<textarea aria-describedby="stem-error" aria-invalid="true" id="stem"', html)
    assert '<p class="field-error" id="stem-error">must be non-empty text</p>' in html
    assert 'id="exhibit-error">is not valid JSON' in html
    assert 'id="choices-2-text-error">must be non-empty text</p>' in html
    assert "a single-answer question needs exactly 1 correct choice, got 0" in html
    assert 'id="editor-errors" role="alert" tabindex="-1" autofocus' in html and 'href="#stem"' in html
    assert "My new explanation &lt;b&gt;kept&lt;/b&gt;" in html and "<b>kept</b>" not in html
    with app.app_context():
        assert db.session.get(Question, question.id).version == 1
        assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == 0


def test_stale_version_on_the_page_is_a_409_that_keeps_the_edit(client, app, admin):
    """A save on a version someone else replaced meanwhile is refused with the reason and the typed text kept."""
    question = gen_question(app, gen_exam(app))
    client.post(f"/admin/questions/{question.id}/edit", data=_form(app, question.id, stem="First edit?"))
    response = client.post(f"/admin/questions/{question.id}/edit",
                           data=_form(app, question.id, stem="Second edit?", expected_version="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "while you were editing" in html and "Second edit?" in html


def test_ordering_items_are_reordered_by_place(client, app, admin):
    """An ordering question's places become the new correct order on save."""
    question = gen_ordering_question(app, gen_exam(app))
    with app.app_context():
        ids = [c.id for c in db.session.get(Question, question.id).choices]
    data = _form(app, question.id, **{"choices-0-place": "2", "choices-1-place": "1"})
    assert client.post(f"/admin/questions/{question.id}/edit", data=data).status_code == 303
    with app.app_context():
        assert [c.id for c in db.session.get(Question, question.id).choices] == [ids[1], ids[0], ids[2], ids[3]]


def test_stored_text_is_escaped(client, app, admin):
    """A stem holding markup is shown as text in the editor and in the diff."""
    question = gen_question(app, gen_exam(app), stem="<script>alert(1)</script>?")
    html = client.get(f"/admin/questions/{question.id}/edit").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;?" in html and "<script>alert(1)" not in html
    client.post(f"/admin/questions/{question.id}/edit", data=_form(app, question.id, stem="<img src=x>?"))
    diff = client.get(f"/admin/questions/{question.id}/versions/2").get_data(as_text=True)
    assert "&lt;img src=x&gt;?" in diff and "<img src=x>" not in diff


def test_csrf_is_required(app):
    """With CSRF on, a save without the token is refused and nothing changes."""
    question = gen_question(app, gen_exam(app))
    gen_user(app, username="csrfboss", is_admin=True)
    browser = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        login(browser, "csrfboss")
        response = browser.post(f"/admin/questions/{question.id}/edit", data=_form(app, question.id, stem="Forged?"))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Question, question.id).stem == question.stem


def test_editor_pages_are_closed_to_learners_and_anonymous_visitors(client, app, signed_in):
    """A learner gets 403 on the editor and the diff page; an anonymous visitor is sent to sign in."""
    question = gen_question(app, gen_exam(app))
    for url in (f"/admin/questions/{question.id}/edit", f"/admin/questions/{question.id}/versions/1"):
        assert client.get(url).status_code == 403
        anonymous = app.test_client().get(url)
        assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert client.post(f"/admin/questions/{question.id}/edit", data={"stem": "X?"}).status_code == 403


def test_every_editor_route_is_walked_by_the_admin_matrix(app):
    """Each editor route (page and API) sits under an admin prefix the URL-map walk visits, with its
    expected answer for the walk's placeholder id listed."""
    from tests.auth.test_admin import ADMIN_NOT_FOUND

    routes = {(rule.rule, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in ("editor", "api_editor")
              for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    assert len(routes) == 5
    assert routes <= ADMIN_NOT_FOUND
    assert all(rule.startswith(("/admin/", "/api/v1/admin/")) for rule, _ in routes)

"""Ordering and matching questions in the browser: plain <select> menus that work without
JavaScript, the htmx save on every change, and the item-by-item review."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import gen_exam, gen_matching_question, gen_ordering_question, gen_question, pbq_key
from webapp.extensions import db
from webapp.models import AttemptQuestion, QuizAttempt

HX = {"HX-Request": "true"}


def _pbq_quiz(client, app) -> tuple[int, dict[str, tuple[int, int]]]:
    """Start a 5-question practice quiz with one ordering and one matching question; returns the
    attempt id and, per type, (question number, question id)."""
    exam = gen_exam(app)
    gen_ordering_question(app, exam, objective="1.1")
    gen_matching_question(app, exam, objective="2.1")
    for _ in range(3):
        gen_question(app, exam, objective="1.2")
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "5", "timed": "y"})
    assert response.status_code == 302
    with app.app_context():
        attempt = db.session.scalar(sa.select(QuizAttempt).order_by(QuizAttempt.id.desc()))
        where = {aq.question.type: (aq.position + 1, aq.question_id) for aq in attempt.questions}
        return attempt.id, where


def _saved(app, question_id: int) -> dict | None:
    with app.app_context():
        return db.session.scalar(sa.select(AttemptQuestion.response).where(AttemptQuestion.question_id == question_id))


def _places(html: str) -> list[int]:
    """Item ids in the order the ordering list renders them."""
    return [int(i) for i in re.findall(r'<li class="pbq-item" data-item-id="(\d+)"', html)]


def _selected_place(html: str, item: int) -> str:
    block = re.search(rf'<select name="position-{item}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\d+)" selected>', block).group(1)


def test_ordering_item_renders_a_labelled_place_menu_and_move_buttons_per_item(client, app, signed_in):
    """Each ordering item has a labelled place menu and named Move up / Move down buttons inside the answer form."""
    attempt_id, where = _pbq_quiz(client, app)
    number, _qid = where["ordering"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    form = re.search(r'<form id="answer-form".*?</form>', html, re.S).group(0)
    items = _places(form)
    assert len(items) == 4
    for item in items:
        assert re.search(rf'<label class="visually-hidden" for="position-{item}">Place of Step \d</label>', form)
        assert 'aria-label="Move Step' in form and f'value="{item}:up"' in form and f'value="{item}:down"' in form
    assert "Not answered yet" in html


def test_ordering_without_javascript_saves_menus_and_moves_and_reload_shows_them(client, app, signed_in):
    """A plain POST of the place menus saves the order; a Move button moves one item; a reload renders the saved order."""
    attempt_id, where = _pbq_quiz(client, app)
    number, qid = where["ordering"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    shown = _places(html)
    key = pbq_key_for(app, qid)
    menus = {f"position-{item}": str(key.index(item) + 1) for item in shown}
    response = client.post(f"/quizzes/{attempt_id}/q/{number}/answer", data={**menus, "go": "stay"})
    assert response.status_code == 302
    assert _saved(app, qid) == {"order": key}
    assert _places(client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)) == key
    client.post(f"/quizzes/{attempt_id}/q/{number}/answer", data={"move": f"{key[0]}:down"})
    assert _saved(app, qid) == {"order": [key[1], key[0]] + key[2:]}
    reload = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    assert _places(reload) == [key[1], key[0]] + key[2:] and _selected_place(reload, key[0]) == "2"
    assert "Order saved" in reload


def test_leaving_an_untouched_ordering_item_keeps_it_unanswered(client, app, signed_in):
    """Next on an ordering item whose menus still show the shuffle does not save the shuffle as an answer."""
    attempt_id, where = _pbq_quiz(client, app)
    number, qid = where["ordering"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    menus = {f"position-{item}": str(index + 1) for index, item in enumerate(_places(html))}
    client.post(f"/quizzes/{attempt_id}/q/{number}/answer", data={**menus, "go": "next"})
    assert _saved(app, qid) is None


def test_matching_with_htmx_saves_each_change_and_reload_keeps_it(client, app, signed_in):
    """Changing one target menu with htmx saves it, answers with the fieldset as saved, and survives a reload."""
    attempt_id, where = _pbq_quiz(client, app)
    number, qid = where["matching"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    items = [int(i) for i in re.findall(r'<select name="match-(\d+)"', html)]
    assert len(items) == 3 and all(f'<label class="pbq-text" for="match-{item}">' in html for item in items)
    key = pbq_key_for(app, qid)
    first = str(items[0])
    response = client.post(f"/quizzes/{attempt_id}/q/{number}/answer", headers=HX,
                           data={f"match-{first}": str(key[first]), f"match-{items[1]}": ""})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith(f'<fieldset id="choices-{number}"')
    assert "1 of 3 matched" in fragment
    assert _saved(app, qid)["matches"][first] == key[first]
    reload = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    block = re.search(rf'<select name="match-{first}".*?</select>', reload, re.S).group(0)
    assert re.search(rf'<option value="{key[first]}" selected>', block)


def test_foreign_target_from_the_form_is_refused_next_to_the_items(client, app, signed_in):
    """A target id the question does not have is a 400 whose fragment shows the saved items and the reason."""
    attempt_id, where = _pbq_quiz(client, app)
    number, _qid = where["matching"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    item = re.findall(r'<select name="match-(\d+)"', html)[0]
    response = client.post(f"/quizzes/{attempt_id}/q/{number}/answer", headers=HX, data={f"match-{item}": "9"})
    assert response.status_code == 400 and "does not belong" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == f"#choices-{number}"


def test_review_shows_each_item_right_or_wrong_with_the_key_and_rationales(client, app, signed_in):
    """After submit the review lists every item with the learner's place or match, the correct one and its rationale."""
    attempt_id, where = _pbq_quiz(client, app)
    o_number, o_qid = where["ordering"]
    m_number, m_qid = where["matching"]
    key = pbq_key_for(app, o_qid)
    swapped = [key[1], key[0]] + key[2:]
    client.post(f"/quizzes/{attempt_id}/q/{o_number}/answer",
                data={f"position-{item}": str(index + 1) for index, item in enumerate(swapped)} | {"go": "stay"})
    matches = pbq_key_for(app, m_qid)
    client.post(f"/quizzes/{attempt_id}/q/{m_number}/answer",
                data={f"match-{item}": str(target) for item, target in matches.items()})
    client.post(f"/quizzes/{attempt_id}/submit")
    review = client.get(f"/quizzes/{attempt_id}/review").get_data(as_text=True)
    assert "Partly right" in review and "2 of 4 in the right place" in review
    assert "3 of 3 matched correctly" in review
    assert "Step 1 comes at place 1." in review and "SSH uses target 0." in review
    assert re.search(r"<th scope=\"row\">Step 2.*?</th>\s*<td>1</td>\s*<td>2</td>", review, re.S)
    assert re.search(r"<th scope=\"row\">SSH.*?</th>\s*<td>TCP 22</td>\s*<td>TCP 22</td>", review, re.S)


def pbq_key_for(app, question_id: int):
    """The key as the form uses it: the correct order (list) or matches (dict)."""
    with app.app_context():
        key = pbq_key(question_id)
    return key.get("order") or key["matches"]


def test_non_ascii_digits_in_the_menus_are_ignored_not_a_server_error(client, app, signed_in):
    """A superscript digit posted as a place or target is treated as no choice (no 500)."""
    attempt_id, where = _pbq_quiz(client, app)
    number, qid = where["matching"]
    html = client.get(f"/quizzes/{attempt_id}/q/{number}").get_data(as_text=True)
    item = re.findall(r'<select name="match-(\d+)"', html)[0]
    assert client.post(f"/quizzes/{attempt_id}/q/{number}/answer", data={f"match-{item}": "²"}).status_code == 302
    assert _saved(app, qid)["matches"][item] is None
    o_number, _o_qid = where["ordering"]
    response = client.post(f"/quizzes/{attempt_id}/q/{o_number}/answer", data={"move": "²:up"})
    assert response.status_code == 302

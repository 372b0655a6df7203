"""Confidence ratings (sure, unsure, guessed) in practice quizzes: saved with the answer by the
same save path in the service, the API and the browser, copied to the answer history when the
quiz is scored, and refused in exam simulations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from config import ROOT
from tests.factories import bearer, choice_ids, gen_bank, gen_ordering_question, gen_token, gen_user, user_in_db
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.models import Answer, AttemptQuestion, Confidence, QuizMode
from webapp.quiz import services
from webapp.quiz.services import QuizRequest

HX = {"HX-Request": "true"}




def _saved(attempt_id: int, question_id: int) -> AttemptQuestion:
    db.session.expire_all()
    return db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                              AttemptQuestion.question_id == question_id))


def test_save_answer_stores_keeps_and_clears_the_rating(app, ctx):
    """A rating is saved with the answer; leaving it out keeps it; None clears it."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    qid = attempt.questions[0].question_id
    services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence=Confidence.UNSURE)
    assert _saved(attempt.id, qid).confidence == Confidence.UNSURE.value
    services.save_answer(user, attempt.id, qid, choice_ids(qid, correct=False)[:1])
    saved = _saved(attempt.id, qid)
    assert saved.confidence == Confidence.UNSURE.value and saved.selected_choice_ids == choice_ids(qid, False)[:1]
    services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence=None)
    assert _saved(attempt.id, qid).confidence is None


def test_a_rating_alone_keeps_the_answer(app, ctx):
    """Changing only the rating (no answer field) saves it and leaves the selection and its time alone."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    qid = attempt.questions[1].question_id
    services.save_answer(user, attempt.id, qid, choice_ids(qid))
    answered_at = _saved(attempt.id, qid).answered_at
    services.save_answer(user, attempt.id, qid, confidence=Confidence.GUESSED)
    saved = _saved(attempt.id, qid)
    assert saved.confidence == Confidence.GUESSED.value
    assert saved.selected_choice_ids == choice_ids(qid) and saved.answered_at == answered_at
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, qid)  # neither an answer nor a rating
    assert info.value.code == "WRONG_ANSWER_SHAPE"


def test_a_simulation_refuses_a_rating(app, ctx):
    """An exam simulation's answer with a rating is CONFIDENCE_NOT_ALLOWED on `confidence`; None is accepted."""
    exam = gen_bank(app, per_objective=36)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, mode=QuizMode.EXAM))
    qid = attempt.questions[0].question_id
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence=Confidence.SURE)
    assert (info.value.code, info.value.field, info.value.status) == ("CONFIDENCE_NOT_ALLOWED", "confidence", 400)
    assert _saved(attempt.id, qid).selected_choice_ids == []  # refused as a whole
    services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence=None)
    saved = _saved(attempt.id, qid)
    assert saved.selected_choice_ids == choice_ids(qid) and saved.confidence is None


def test_an_unknown_rating_is_refused(app, ctx):
    """A rating outside sure, unsure and guessed is UNKNOWN_CONFIDENCE on `confidence`."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    qid = attempt.questions[0].question_id
    with pytest.raises(ValidationError) as info:
        services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence="certain")
    assert (info.value.code, info.value.field) == ("UNKNOWN_CONFIDENCE", "confidence")


def test_scoring_copies_each_rating_to_the_answer_history(app, ctx):
    """Submitting writes every question's rating (or null) into its `answers` row."""
    exam = gen_bank(app, per_objective=2)
    user = user_in_db(app)
    attempt = services.start_quiz(user, QuizRequest(exam.slug, count=5))
    rated = {attempt.questions[0].question_id: Confidence.SURE, attempt.questions[1].question_id: Confidence.GUESSED}
    for qid, rating in rated.items():
        services.save_answer(user, attempt.id, qid, choice_ids(qid), confidence=rating)
    services.submit_attempt(user, attempt.id)
    stored = dict(db.session.execute(sa.select(Answer.question_id, Answer.confidence)
                                     .where(Answer.attempt_id == attempt.id)).all())
    assert len(stored) == 5
    assert {qid: value for qid, value in stored.items() if value} == {qid: r.value for qid, r in rated.items()}


# The JSON API


@pytest.fixture
def learner(app):
    user = gen_user(app, username="rater")
    return user, bearer(gen_token(app, user))


def _api_quiz(client, headers, exam, **body) -> dict:
    response = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_api_put_saves_the_rating_and_get_shows_it(client, app, learner):
    """PUT with `confidence` saves it; GET lists it in `answers`; null clears it; alone it keeps the answer."""
    exam = gen_bank(app, per_objective=2)
    quiz = _api_quiz(client, learner[1], exam, count=5)
    qid = quiz["questions"][0]["id"]
    url = f"/api/v1/quizzes/{quiz['id']}/answers/{qid}"
    with app.app_context():
        right = choice_ids(qid)
    assert client.put(url, headers=learner[1], json={"choice_ids": right, "confidence": "unsure"}).status_code == 200
    answers = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=learner[1]).get_json()["answers"]
    assert answers[str(qid)] == {"choice_ids": right, "marked": False, "confidence": "unsure"}
    assert answers[str(quiz["questions"][1]["id"])]["confidence"] is None
    assert client.put(url, headers=learner[1], json={"confidence": "sure"}).get_json() == {"saved": True}
    answers = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=learner[1]).get_json()["answers"]
    assert answers[str(qid)] == {"choice_ids": right, "marked": False, "confidence": "sure"}
    client.put(url, headers=learner[1], json={"choice_ids": right, "confidence": None})
    answers = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=learner[1]).get_json()["answers"]
    assert answers[str(qid)]["confidence"] is None


def test_api_refuses_a_rating_in_a_simulation_and_an_unknown_one(client, app, learner):
    """A simulation's PUT with a rating is 400 CONFIDENCE_NOT_ALLOWED; an unknown rating is VALIDATION_ERROR."""
    exam = gen_bank(app, per_objective=36)
    quiz = _api_quiz(client, learner[1], exam, mode="exam")
    qid = quiz["questions"][0]["id"]
    with app.app_context():
        right = choice_ids(qid)
    url = f"/api/v1/quizzes/{quiz['id']}/answers/{qid}"
    refused = client.put(url, headers=learner[1], json={"choice_ids": right, "confidence": "sure"})
    assert refused.status_code == 400
    assert (refused.get_json()["code"], refused.get_json()["field"]) == ("CONFIDENCE_NOT_ALLOWED", "confidence")
    unknown = client.put(url, headers=learner[1], json={"choice_ids": right, "confidence": "certain"})
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "confidence"
    assert client.put(url, headers=learner[1], json={"choice_ids": right}).status_code == 200


def test_api_rating_another_users_quiz_is_404(client, app, learner):
    """Rating an answer in someone else's quiz is a 404, as any access to it is."""
    exam = gen_bank(app, per_objective=2)
    quiz = _api_quiz(client, learner[1], exam, count=5)
    other = bearer(gen_token(app, gen_user(app, username="nosy")))
    url = f"/api/v1/quizzes/{quiz['id']}/answers/{quiz['questions'][0]['id']}"
    response = client.put(url, headers=other, json={"confidence": "sure"})
    assert response.status_code == 404 and response.get_json()["code"] == "NOT_FOUND"


def test_openapi_documents_confidence_on_answers(client):
    """The answer body's `confidence` is documented as the three ratings, nullable."""
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["AnswerIn"]
    confidence = schema["properties"]["confidence"]
    assert confidence["enum"][:3] == [c.value for c in Confidence] and confidence.get("nullable") is True


# The browser


def _start(client, slug: str, mode: str = "practice") -> int:
    response = client.post("/quizzes", data={"exam": slug, "mode": mode, "count": "5", "timed": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].split("/")[2])


def _first(app, attempt_id: int, position: int = 0) -> tuple[int, list[int]]:
    with app.app_context():
        aq = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                                AttemptQuestion.position == position))
        return aq.question_id, list(aq.choice_order)


def _rating(app, attempt_id: int, position: int = 0):
    with app.app_context():
        return db.session.scalar(sa.select(AttemptQuestion.confidence).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position))


def _checked_rating(html: str) -> list[str]:
    return re.findall(r'name="confidence" value="(\w+)" data-confidence-key="\w"\s+checked', html)


def test_practice_screen_offers_the_rating_inside_the_answer_form(client, app, signed_in):
    """A practice question's answer form holds the confidence radios, saved by htmx on change."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _start(client, exam.slug)
    html = client.get(f"/quizzes/{attempt_id}/q/1").get_data(as_text=True)
    form = re.search(r'<form id="answer-form".*?</form>', html, re.S).group(0)
    assert '<fieldset class="confidence" id="confidence-1">' in form
    assert [key for key in re.findall(r'data-confidence-key="(\w)"', form)] == ["s", "u", "g"]
    assert re.search(r'hx-post="/quizzes/\d+/q/1/answer" hx-trigger="change"\s+hx-target="#choices-1"', form)
    assert "<kbd>S</kbd> sure" in html


def test_simulation_screen_has_no_confidence_fieldset(client, app, signed_in):
    """An exam simulation's question screen shows its choices but no rating, and no S/U/G keys."""
    exam = gen_bank(app, per_objective=36)
    attempt_id = _start(client, exam.slug, mode="exam")
    html = client.get(f"/quizzes/{attempt_id}/q/1").get_data(as_text=True)
    assert 'id="choices-1"' in html and 'name="choice"' in html
    assert 'name="confidence"' not in html and 'class="confidence"' not in html and "<kbd>S</kbd>" not in html


def test_no_javascript_post_saves_the_rating_with_the_answer(client, app, signed_in):
    """The plain answer form posts the rating with the choice; the next visit shows both as saved."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _start(client, exam.slug)
    _qid, order = _first(app, attempt_id)
    response = client.post(f"/quizzes/{attempt_id}/q/1/answer",
                           data={"choice": str(order[1]), "confidence": "guessed", "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/q/2")
    assert _rating(app, attempt_id) == Confidence.GUESSED.value
    html = client.get(f"/quizzes/{attempt_id}/q/1").get_data(as_text=True)
    assert _checked_rating(html) == ["guessed"] and "Rated guessed" in html


def test_changing_only_the_rating_with_htmx_keeps_the_selection(client, app, signed_in):
    """A rating change posts the form as it stands: the choice stays ticked and the status says both."""
    exam = gen_bank(app, per_objective=2)
    attempt_id = _start(client, exam.slug)
    _qid, order = _first(app, attempt_id)
    client.post(f"/quizzes/{attempt_id}/q/1/answer", data={"choice": str(order[2])}, headers=HX)
    response = client.post(f"/quizzes/{attempt_id}/q/1/answer",
                           data={"choice": str(order[2]), "confidence": "sure"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<fieldset id="choices-1"')
    assert re.search(rf'value="{order[2]}"\s+id="choice-{order[2]}" data-key="3" checked', html)
    assert re.search(r'<span>Answer saved</span> · <span>Rated sure</span>', html)
    assert _rating(app, attempt_id) == Confidence.SURE.value


def test_an_untouched_ordering_item_can_be_rated_without_becoming_an_answer(client, app, signed_in):
    """Rating an ordering question left as shuffled saves the rating and leaves it unanswered."""
    exam = gen_bank(app, per_objective=3)
    for _ in range(3):
        gen_ordering_question(app, exam, objective="1.1")
    response = client.post("/quizzes", data={"exam": exam.slug, "mode": "practice", "count": "6",
                                             "objectives": "1.1", "timed": "y"})
    attempt_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        aq = db.session.scalar(sa.select(AttemptQuestion).join(AttemptQuestion.question).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.question.has(type="ordering")))
        number, items = aq.position + 1, list(aq.choice_order)
    menus = {f"position-{item}": str(place) for place, item in enumerate(items, 1)}
    client.post(f"/quizzes/{attempt_id}/q/{number}/answer", data={**menus, "confidence": "unsure"}, headers=HX)
    with app.app_context():
        saved = db.session.scalar(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id,
                                                                   AttemptQuestion.position == number - 1))
        assert saved.confidence == Confidence.UNSURE.value and saved.response is None


def test_simulation_answer_form_ignores_a_posted_rating(client, app, signed_in):
    """A rating smuggled into a simulation's answer form is not stored; the answer still saves."""
    exam = gen_bank(app, per_objective=36)
    attempt_id = _start(client, exam.slug, mode="exam")
    _qid, order = _first(app, attempt_id)
    response = client.post(f"/quizzes/{attempt_id}/q/1/answer", data={"choice": str(order[0]), "confidence": "sure"})
    assert response.status_code == 302 and _rating(app, attempt_id) is None
    with app.app_context():
        assert db.session.scalar(sa.select(AttemptQuestion.selected_choice_ids).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 0)) == [order[0]]


def test_quiz_keyboard_script_clicks_the_rating_for_s_u_and_g():
    """quiz.js maps S, U and G to the radio with that data-confidence-key and keeps the older keys."""
    script = (ROOT / "static" / "js" / "quiz.js").read_text()
    assert "/^[1-6a-fnpmsug]$/i" in script
    assert 'input[name="confidence"][data-confidence-key="\' + key + \'"]' in script
    assert '"sug".indexOf(key)' in script

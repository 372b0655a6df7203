"""After an admin fixes a key, the learner's review of an older attempt says when, and shows both keys."""

from __future__ import annotations

from tests.factories import bearer, choice_ids, gen_bank, gen_token, gen_user
from webapp.models.base import utcnow


def test_review_page_and_api_give_the_correction_date_and_both_keys(client, app, signed_in):
    """The API's review entry has key_changed and key_corrected_at; the page says "This question
    was corrected on <date>" with the key it was scored against and the current one."""
    exam = gen_bank(app, per_objective=2)
    headers = bearer(gen_token(app, signed_in))
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    first = quiz["questions"][0]["id"]
    with app.app_context():
        old_key, wrong = choice_ids(first), choice_ids(first, False)
    client.put(f"/api/v1/quizzes/{quiz['id']}/answers/{first}", headers=headers, json={"choice_ids": wrong[:1]})
    client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    before = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["result"]["review"]
    assert [entry["key_corrected_at"] for entry in before] == [None] * 5

    admin = bearer(gen_token(app, gen_user(app, is_admin=True)))
    edit = client.patch(f"/api/v1/admin/questions/{first}", headers=admin, json={
        "choices": [{"id": cid, "correct": cid == wrong[0]} for cid in old_key + wrong]})
    assert edit.status_code == 200 and edit.get_json()["key_changed"] is True

    review = {entry["question_id"]: entry for entry in
              client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()["result"]["review"]}
    entry = review[first]
    assert entry["key_changed"] is True and entry["is_correct"] is False
    assert entry["correct_choice_ids"] == old_key
    assert entry["key_corrected_at"].startswith(utcnow().date().isoformat())
    assert [e["key_corrected_at"] for qid, e in review.items() if qid != first] == [None] * 4

    html = client.get(f"/quizzes/{quiz['id']}/review").get_data(as_text=True)
    assert html.count("This question was corrected on") == 1
    notice = html[html.index("This question was corrected on"):]
    notice = notice[:notice.index("</p>")]
    assert "key when scored:" in notice and "the current key is" in notice
    assert utcnow().strftime("%-d %b %Y") in notice

"""`GET` and `PATCH /api/v1/admin/questions/{id}`: the editor over JSON, for admin tokens only."""

from __future__ import annotations

from tests.factories import bearer, choice_ids, gen_exam, gen_question, gen_token, gen_user
from webapp.extensions import db
from webapp.models import Question


def _admin_headers(app) -> dict:
    return bearer(gen_token(app, gen_user(app, is_admin=True)))


def test_patch_saves_and_returns_the_admin_view(client, app):
    """A PATCH saves the edit and returns the question with its key, new version and flags."""
    question = gen_question(app, gen_exam(app))
    response = client.patch(f"/api/v1/admin/questions/{question.id}", headers=_admin_headers(app),
                            json={"stem": "Which record maps a name to an IPv6 address?", "expected_version": 1})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    with app.app_context():
        assert body["key"] == {"correct": choice_ids(question.id)}
    assert (body["version"], body["changed"], body["key_changed"], body["is_active"], body["withdrawn"]) == (
        2, True, False, True, False)
    assert body["stem"] == "Which record maps a name to an IPv6 address?" and len(body["choices"]) == 4


def test_patch_validation_errors_come_field_by_field(client, app):
    """An invalid edit is a 400 VALIDATION_ERROR with one entry per field, in the importer's words."""
    question = gen_question(app, gen_exam(app))
    response = client.patch(f"/api/v1/admin/questions/{question.id}", headers=_admin_headers(app),
                            json={"stem": "", "exhibit": {"kind": "chart"}})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert {(e["field"], e["error"]) for e in body["errors"]} == {
        ("stem", "must be non-empty text"), ("exhibit.kind", 'must be "text" or "table", got \'chart\'')}
    with app.app_context():
        assert db.session.get(Question, question.id).version == 1


def test_patch_with_a_stale_version_is_409(client, app):
    """`expected_version` behind the stored one is a 409 VERSION_CONFLICT with the current version."""
    question = gen_question(app, gen_exam(app))
    headers = _admin_headers(app)
    client.patch(f"/api/v1/admin/questions/{question.id}", headers=headers, json={"stem": "New stem?"})
    response = client.patch(f"/api/v1/admin/questions/{question.id}", headers=headers,
                            json={"stem": "Other stem?", "expected_version": 1})
    assert response.status_code == 409
    assert response.get_json()["code"] == "VERSION_CONFLICT" and response.get_json()["current_version"] == 2


def test_patch_no_op_is_200_unchanged(client, app):
    """Sending what is stored is a 200 with changed false and the same version."""
    question = gen_question(app, gen_exam(app))
    body = client.patch(f"/api/v1/admin/questions/{question.id}", headers=_admin_headers(app),
                        json={"stem": question.stem}).get_json()
    assert body["changed"] is False and body["version"] == 1


def test_unknown_fields_and_missing_questions(client, app):
    """A field outside the contract is a 400 UNKNOWN_FIELD; a missing question is a 404."""
    question = gen_question(app, gen_exam(app))
    headers = _admin_headers(app)
    unknown = client.patch(f"/api/v1/admin/questions/{question.id}", headers=headers, json={"type": "multiple"})
    assert unknown.status_code == 400
    assert (unknown.get_json()["code"], unknown.get_json()["field"]) == ("VALIDATION_ERROR", "type")
    assert client.patch("/api/v1/admin/questions/999999", headers=headers, json={"stem": "X?"}).status_code == 404
    assert client.get("/api/v1/admin/questions/999999", headers=headers).status_code == 404


def test_get_lists_versions_newest_first(client, app):
    """GET returns the admin view with the version history, newest first."""
    question = gen_question(app, gen_exam(app))
    headers = _admin_headers(app)
    client.patch(f"/api/v1/admin/questions/{question.id}", headers=headers, json={"explanation": "Better."})
    body = client.get(f"/api/v1/admin/questions/{question.id}", headers=headers).get_json()
    assert [(v["version"], v["origin"]) for v in body["versions"]] == [(2, "admin"), (1, "import")]
    assert body["explanation"] == "Better."


def test_editor_api_is_closed_to_learners_and_anonymous_callers(client, app):
    """Anonymous callers get 401 and learner tokens 403, on GET and PATCH alike; nothing changes."""
    question = gen_question(app, gen_exam(app))
    learner = bearer(gen_token(app, gen_user(app)))
    url = f"/api/v1/admin/questions/{question.id}"
    assert client.get(url).status_code == 401
    assert client.patch(url, json={"stem": "Hacked?"}).status_code == 401
    assert client.get(url, headers=learner).status_code == 403
    assert client.patch(url, headers=learner, json={"stem": "Hacked?"}).status_code == 403
    assert client.get(url, headers=_admin_headers(app)).status_code == 200
    with app.app_context():
        assert db.session.get(Question, question.id).stem == question.stem

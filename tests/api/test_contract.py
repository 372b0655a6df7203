"""The OpenAPI document and the server agree: enums, ranges, formats, the 409 body, empty PATCH.

These were the contract mismatches schemathesis found (schema-valid requests refused, a 409 body
outside the documented error schema). Each test reads the constraint from the served document and
checks that the server enforces exactly it."""

from __future__ import annotations

import schemathesis
from schemathesis import checks

from tests.factories import bearer, gen_bank, gen_exam, gen_token, gen_user
from webapp.auth.services import timezone_choices


def _document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def _query_parameter(document: dict, path: str, name: str) -> dict:
    return next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_exam_type_is_an_enum_of_the_exams_the_server_accepts(client, app):
    """exam_type lists exactly the active exams, in POST /quizzes and GET /questions (a list filter
    also lists "", which means no filter); the server accepts each listed value and refuses the
    retired exam."""
    gen_bank(app, per_objective=4, slug="alpha")
    gen_exam(app, slug="gone", is_active=False)
    document = _document(client)
    listed = _schema(document, "StartQuizIn")["properties"]["exam_type"]["enum"]
    assert listed == ["alpha"]
    assert _query_parameter(document, "/api/v1/questions", "exam_type")["schema"]["enum"] == ["", *listed]
    headers = bearer(gen_token(app, gen_user(app, username="enumerated")))
    assert client.get("/api/v1/questions?exam_type=alpha", headers=headers).status_code == 200
    assert client.get("/api/v1/questions?exam_type=", headers=headers).status_code == 200
    assert client.get("/api/v1/questions?exam_type=gone", headers=headers).status_code == 400
    assert client.post("/api/v1/quizzes", headers=headers, json={"exam_type": "gone"}).status_code == 400
    assert client.post("/api/v1/quizzes", headers=headers, json={"exam_type": "alpha", "count": 5}).status_code == 201


def test_count_range_is_documented_from_config_and_enforced_in_every_mode(client, app):
    """count's minimum and maximum are the config's, and a count outside them is a 400 whatever the mode."""
    exam = gen_bank(app, per_objective=4)
    count = _schema(_document(client), "StartQuizIn")["properties"]["count"]
    assert (count["minimum"], count["maximum"]) == (app.config["QUIZ_MIN_COUNT"], app.config["QUIZ_MAX_COUNT"])
    headers = bearer(gen_token(app, gen_user(app, username="counter")))
    for mode, wrong in (("practice", count["maximum"] + 1), ("exam", count["minimum"] - 1)):
        response = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "mode": mode,
                                                                         "count": wrong})
        assert response.status_code == 400 and response.get_json()["field"] == "count", mode
    inside = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": count["minimum"]})
    assert inside.status_code == 201


def test_timezone_is_an_enum_and_email_a_format(client, app):
    """PATCH timezone documents the IANA names the server accepts; registration documents email format."""
    document = _document(client)
    assert _schema(document, "UserPatch")["properties"]["timezone"]["enum"] == timezone_choices()
    assert _schema(document, "Register")["properties"]["email"]["format"] == "email"
    headers = bearer(gen_token(app, gen_user(app, username="zoned")))
    assert client.patch("/api/v1/users/me", headers=headers, json={"timezone": "Europe/Paris"}).status_code == 200
    refused = client.patch("/api/v1/users/me", headers=headers, json={"timezone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400 and refused.get_json()["field"] == "timezone"
    assert "Choose a time zone" in refused.get_json()["error"]


def test_quiz_in_progress_body_matches_the_documented_error_schema(app):
    """The 409 QUIZ_IN_PROGRESS body, quiz_id included, conforms to the documented error response."""
    exam = gen_bank(app, per_objective=4)
    headers = bearer(gen_token(app, gen_user(app, username="conflicted")))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/quizzes"]["POST"]
    first = operation.Case(body={"exam_type": exam.slug, "count": 5}, headers=headers).call()
    case = operation.Case(body={"exam_type": exam.slug, "count": 5}, headers=headers)
    response = case.call()
    assert response.status_code == 409 and response.json()["quiz_id"] == first.json()["id"]
    case.validate_response(response, checks=[checks.response_schema_conformance])


def test_patch_that_changes_nothing_is_a_400(client, app):
    """PATCH /users/me with {} or no body is 400 VALIDATION_ERROR, as the document's minProperties says."""
    assert _schema(_document(client), "UserPatch")["minProperties"] == 1
    headers = bearer(gen_token(app, gen_user(app, username="idle")))
    for kwargs in ({"json": {}}, {}):
        response = client.patch("/api/v1/users/me", headers=headers, **kwargs)
        assert response.status_code == 400 and response.get_json()["code"] == "VALIDATION_ERROR", kwargs

"""The bookmark and note JSON API contracts: status codes, fields, errors, privacy between users."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import bearer, gen_answer, gen_bookmark, gen_exam, gen_note, gen_question, gen_token, gen_user
from webapp.extensions import db
from webapp.models import BookmarkTag, Question, QuestionBookmark, QuestionNote
from webapp.models.base import utcnow

BOOKMARK_KEYS = {"question_id", "created_at", "notes", "tags", "retired", "question"}
NOTE_KEYS = {"question_id", "body", "created_at", "updated_at"}


@pytest.fixture
def learner(app):
    """A learner and the headers of their bearer token."""
    user = gen_user(app, username="marker")
    return user, bearer(gen_token(app, user))


@pytest.fixture
def exam(app):
    """An exam with two questions in 1.1 and one in 2.1."""
    made = gen_exam(app, slug="security")
    for objective in ("1.1", "1.1", "2.1"):
        gen_question(app, made, objective)
    return made


def _question_ids(app, exam) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Question.id).where(Question.exam_id == exam.id).order_by(Question.id)))


def _rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_post_bookmark_is_201_then_200_with_one_row(client, app, learner, exam):
    """POST /questions/{id}/bookmark creates (201) and a repeat with the same body is 200 with the same bookmark."""
    qid = _question_ids(app, exam)[0]
    body = {"notes": "Think about ports", "tags": ["VPN", "ports"]}
    first = client.post(f"/api/v1/questions/{qid}/bookmark", headers=learner[1], json=body)
    again = client.post(f"/api/v1/questions/{qid}/bookmark", headers=learner[1], json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert set(first.get_json()) == BOOKMARK_KEYS and first.get_json() == again.get_json()
    data = first.get_json()
    assert data["question_id"] == qid and data["notes"] == "Think about ports" and data["tags"] == ["ports", "VPN"]
    assert data["retired"] is False and data["question"]["id"] == qid and "answer" not in data["question"]
    assert _rows(app, QuestionBookmark) == 1 and _rows(app, BookmarkTag) == 2


def test_post_without_a_body_and_a_repeat_with_new_fields_changes_nothing(client, app, learner, exam):
    """An empty POST bookmarks with no note or tags; a later POST with notes and tags is 200 and leaves it as it is."""
    qid = _question_ids(app, exam)[0]
    created = client.post(f"/api/v1/questions/{qid}/bookmark", headers=learner[1])
    repeat = client.post(f"/api/v1/questions/{qid}/bookmark", headers=learner[1], json={"notes": "new", "tags": ["x"]})
    assert created.status_code == 201 and created.get_json()["notes"] is None and created.get_json()["tags"] == []
    assert repeat.status_code == 200 and repeat.get_json()["notes"] is None and repeat.get_json()["tags"] == []


def test_bookmark_list_is_paginated_newest_first_and_not_shadowed(client, app, learner, exam):
    """GET /questions/bookmarks pages newest first; the route is not taken for /questions/{id}, which still works."""
    user, headers = learner
    ids = _question_ids(app, exam)
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        questions = [db.session.get(Question, qid) for qid in ids]
    for minutes, question in enumerate(questions):
        gen_bookmark(app, user, question, created_at=start + timedelta(minutes=minutes))
    page = client.get("/api/v1/questions/bookmarks?per_page=2", headers=headers)
    second = client.get("/api/v1/questions/bookmarks?per_page=2&page=2", headers=headers)
    assert page.status_code == 200
    body = page.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 3)
    assert [item["question_id"] for item in body["items"]] == [ids[2], ids[1]]
    assert [item["question_id"] for item in second.get_json()["items"]] == [ids[0]]
    assert set(body["items"][0]) == BOOKMARK_KEYS and body["items"][0]["question"]["stem"]
    assert client.get(f"/api/v1/questions/{ids[0]}", headers=headers).get_json()["id"] == ids[0]


def test_bookmark_list_filters_and_domain_needs_exam_type(client, app, learner, exam):
    """exam_type, domain and tag narrow the list; domain alone is 400 EXAM_TYPE_REQUIRED, as on /questions."""
    user, headers = learner
    ids = _question_ids(app, exam)
    other = gen_question(app, gen_exam(app, slug="network"))
    with app.app_context():
        questions = {qid: db.session.get(Question, qid) for qid in ids}
    gen_bookmark(app, user, questions[ids[0]], tags=["VPN"])
    gen_bookmark(app, user, questions[ids[2]])
    gen_bookmark(app, user, other, tags=["vpn"])

    def listed(query: str) -> list[int]:
        response = client.get(f"/api/v1/questions/bookmarks?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return sorted(item["question_id"] for item in response.get_json()["items"])

    assert listed("exam_type=security") == [ids[0], ids[2]]
    assert listed("exam_type=security&domain=2.1") == [ids[2]]
    assert listed("tag=Vpn") == sorted([ids[0], other.id])
    refused = client.get("/api/v1/questions/bookmarks?domain=2.1", headers=headers)
    assert refused.status_code == 400
    assert (refused.get_json()["code"], refused.get_json()["field"]) == ("EXAM_TYPE_REQUIRED", "domain")
    unknown = client.get("/api/v1/questions/bookmarks?exam_type=nope", headers=headers).get_json()
    assert unknown["code"] == "UNKNOWN_EXAM"


def test_bookmark_list_shows_the_key_only_for_answered_questions(client, app, learner, exam):
    """Each item's question carries `answer` only once the caller has answered it (the catalogue's rule)."""
    user, headers = learner
    ids = _question_ids(app, exam)
    with app.app_context():
        answered, unanswered = db.session.get(Question, ids[0]), db.session.get(Question, ids[1])
    gen_bookmark(app, user, answered)
    gen_bookmark(app, user, unanswered)
    gen_answer(app, user, answered)
    items = {i["question_id"]: i["question"] for i in
             client.get("/api/v1/questions/bookmarks", headers=headers).get_json()["items"]}
    assert "answer" in items[ids[0]] and items[ids[0]]["answer"]["correct_choice_ids"]
    assert "answer" not in items[ids[1]] and "is_correct" not in str(items[ids[1]])


def test_patch_updates_notes_and_tags_and_404s_without_a_bookmark(client, app, learner, exam):
    """PATCH changes notes and tags (tags replaced, "" deletes the note); 404 if not bookmarked; {} is a 400."""
    qid, unmarked = _question_ids(app, exam)[:2]
    headers = learner[1]
    client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"notes": "old", "tags": ["a"]})
    patched = client.patch(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"notes": "new", "tags": ["B"]})
    assert patched.status_code == 200 and (patched.get_json()["notes"], patched.get_json()["tags"]) == ("new", ["B"])
    cleared = client.patch(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"notes": ""})
    assert cleared.get_json()["notes"] is None and cleared.get_json()["tags"] == ["B"]
    assert client.get(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 404
    missing = client.patch(f"/api/v1/questions/{unmarked}/bookmark", headers=headers, json={"tags": []})
    assert missing.status_code == 404 and missing.get_json()["code"] == "NOT_FOUND"
    empty = client.patch(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={})
    assert empty.status_code == 400 and empty.get_json()["field"] == "body"


def test_tag_rules_are_400s_on_tags(client, app, learner, exam):
    """Six tags are TOO_MANY_TAGS and a 31-character tag INVALID_TAG, on POST and PATCH, and nothing is written."""
    qid = _question_ids(app, exam)[0]
    headers = learner[1]
    six = client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"tags": list("abcdef")})
    long = client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"tags": ["x" * 31]})
    assert six.status_code == long.status_code == 400
    assert (six.get_json()["code"], six.get_json()["field"]) == ("TOO_MANY_TAGS", "tags")
    assert (long.get_json()["code"], long.get_json()["field"]) == ("INVALID_TAG", "tags")
    assert _rows(app, QuestionBookmark) == 0
    client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"tags": ["ok"]})
    patched = client.patch(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"tags": list("abcdef")})
    assert patched.get_json()["code"] == "TOO_MANY_TAGS"
    assert client.get("/api/v1/questions/bookmarks", headers=headers).get_json()["items"][0]["tags"] == ["ok"]


def test_delete_bookmark_is_204_then_404_and_keeps_the_note(client, app, learner, exam):
    """DELETE removes the bookmark (204) and its tags; a second DELETE is 404; the note stays."""
    qid = _question_ids(app, exam)[0]
    headers = learner[1]
    client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"notes": "keep me", "tags": ["t"]})
    deleted = client.delete(f"/api/v1/questions/{qid}/bookmark", headers=headers)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert client.delete(f"/api/v1/questions/{qid}/bookmark", headers=headers).status_code == 404
    assert _rows(app, QuestionBookmark) == _rows(app, BookmarkTag) == 0
    assert client.get(f"/api/v1/questions/{qid}/note", headers=headers).get_json()["body"] == "keep me"


def test_note_lifecycle(client, app, learner, exam):
    """GET is 404 until PUT creates the note (201); a second PUT replaces it (200); DELETE is 204 then 404."""
    qid = _question_ids(app, exam)[0]
    headers = learner[1]
    assert client.get(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 404
    created = client.put(f"/api/v1/questions/{qid}/note", headers=headers, json={"body": "First"})
    replaced = client.put(f"/api/v1/questions/{qid}/note", headers=headers, json={"body": "Second"})
    assert (created.status_code, replaced.status_code) == (201, 200)
    assert set(created.get_json()) == NOTE_KEYS and replaced.get_json()["body"] == "Second"
    fetched = client.get(f"/api/v1/questions/{qid}/note", headers=headers)
    assert fetched.status_code == 200 and fetched.get_json()["body"] == "Second"
    assert fetched.get_json()["created_at"] == created.get_json()["created_at"]
    assert client.delete(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 404
    assert _rows(app, QuestionNote) == 0


def test_note_length_and_blank_are_400s_on_body(client, app, learner, exam):
    """5,000 characters are accepted; 5,001 are NOTE_TOO_LONG, blank NOTE_EMPTY and a missing body VALIDATION_ERROR."""
    qid = _question_ids(app, exam)[0]
    headers = learner[1]
    limit = app.config["NOTE_MAX_LENGTH"]
    assert client.put(f"/api/v1/questions/{qid}/note", headers=headers, json={"body": "x" * limit}).status_code == 201
    cases = [({"body": "x" * (limit + 1)}, "NOTE_TOO_LONG"), ({"body": "   "}, "NOTE_EMPTY"), ({}, "VALIDATION_ERROR")]
    for body, code in cases:
        refused = client.put(f"/api/v1/questions/{qid}/note", headers=headers, json=body)
        assert refused.status_code == 400 and refused.get_json()["code"] == code and refused.get_json()["field"] == "body"
    assert client.get(f"/api/v1/questions/{qid}/note", headers=headers).get_json()["body"] == "x" * limit


def test_a_bookmarks_notes_follow_the_note_rules_on_notes(client, app, learner, exam):
    """notes over NOTE_MAX_LENGTH on a bookmark is NOTE_TOO_LONG on `notes`, and no bookmark is made."""
    qid = _question_ids(app, exam)[0]
    limit = app.config["NOTE_MAX_LENGTH"]
    refused = client.post(f"/api/v1/questions/{qid}/bookmark", headers=learner[1], json={"notes": "n" * (limit + 1)})
    assert refused.status_code == 400
    assert (refused.get_json()["code"], refused.get_json()["field"]) == ("NOTE_TOO_LONG", "notes")
    assert _rows(app, QuestionBookmark) == _rows(app, QuestionNote) == 0


def test_a_bookmarks_notes_and_the_note_agree(client, app, learner, exam):
    """The bookmark's notes is the note: PUT note shows in the bookmark list, POST notes shows in GET note."""
    first, second = _question_ids(app, exam)[:2]
    headers = learner[1]
    client.post(f"/api/v1/questions/{first}/bookmark", headers=headers, json={"notes": "via bookmark"})
    assert client.get(f"/api/v1/questions/{first}/note", headers=headers).get_json()["body"] == "via bookmark"
    client.post(f"/api/v1/questions/{second}/bookmark", headers=headers)
    client.put(f"/api/v1/questions/{second}/note", headers=headers, json={"body": "via note"})
    notes = {i["question_id"]: i["notes"] for i in client.get("/api/v1/questions/bookmarks", headers=headers).get_json()["items"]}
    assert notes == {first: "via bookmark", second: "via note"}


def test_notes_list_is_paginated_newest_updated_first(client, app, learner, exam):
    """GET /notes lists notes by updated_at, newest first, with their question, filterable by exam_type."""
    user, headers = learner
    ids = _question_ids(app, exam)
    other = gen_question(app, gen_exam(app, slug="network"))
    now = utcnow()
    with app.app_context():
        questions = [db.session.get(Question, qid) for qid in ids]
    for hours, question in enumerate(questions, start=1):
        gen_note(app, user, question, f"note {hours}", updated_at=now - timedelta(hours=hours))
    gen_note(app, user, other, "network note", updated_at=now - timedelta(hours=10))
    page = client.get("/api/v1/notes?per_page=2", headers=headers).get_json()
    assert (page["total"], page["per_page"]) == (4, 2)
    assert [item["body"] for item in page["items"]] == ["note 1", "note 2"]
    item = page["items"][0]
    assert set(item) == NOTE_KEYS | {"question"}
    assert set(item["question"]) == {"id", "exam_type", "domain", "domain_name", "stem", "retired"}
    assert item["question"]["exam_type"] == "security" and item["question"]["id"] == ids[0]
    network = client.get("/api/v1/notes?exam_type=network", headers=headers).get_json()
    assert [i["body"] for i in network["items"]] == ["network note"]


def test_another_users_bookmarks_and_notes_do_not_exist_for_you(client, app, learner, exam):
    """Someone else's bookmark and note are 404 to read, change or delete, and absent from your lists."""
    qid = _question_ids(app, exam)[0]
    owner = gen_user(app, username="owner")
    owner_headers = bearer(gen_token(app, owner))
    client.post(f"/api/v1/questions/{qid}/bookmark", headers=owner_headers, json={"notes": "mine", "tags": ["t"]})
    headers = learner[1]
    assert client.get(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/questions/{qid}/note", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/questions/{qid}/bookmark", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/questions/{qid}/bookmark", headers=headers, json={"notes": "x"}).status_code == 404
    assert client.get("/api/v1/questions/bookmarks", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/notes", headers=headers).get_json()["total"] == 0
    assert client.get(f"/api/v1/questions/{qid}/note", headers=owner_headers).get_json()["body"] == "mine"


def test_hidden_questions_cannot_be_bookmarked(client, app, learner):
    """An inactive question, one of a retired exam and an unknown id are 404 to POST bookmark and PUT note."""
    inactive = gen_question(app, gen_exam(app), is_active=False)
    retired = gen_question(app, gen_exam(app, is_active=False))
    headers = learner[1]
    for qid in (inactive.id, retired.id, 2_000_000):
        assert client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers).status_code == 404
        assert client.put(f"/api/v1/questions/{qid}/note", headers=headers, json={"body": "x"}).status_code == 404
    assert _rows(app, QuestionBookmark) == 0


def test_a_deactivated_question_stays_listed_as_retired(client, app, learner, exam):
    """A bookmark whose question is deactivated later is still listed with retired true, and can be deleted."""
    qid = _question_ids(app, exam)[0]
    headers = learner[1]
    client.post(f"/api/v1/questions/{qid}/bookmark", headers=headers)
    with app.app_context():
        db.session.get(Question, qid).is_active = False
        db.session.commit()
    items = client.get("/api/v1/questions/bookmarks", headers=headers).get_json()["items"]
    assert [(i["question_id"], i["retired"]) for i in items] == [(qid, True)]
    assert client.delete(f"/api/v1/questions/{qid}/bookmark", headers=headers).status_code == 204


ROUTES = [("GET", "/api/v1/questions/bookmarks"), ("POST", "/api/v1/questions/{id}/bookmark"),
          ("PATCH", "/api/v1/questions/{id}/bookmark"), ("DELETE", "/api/v1/questions/{id}/bookmark"),
          ("GET", "/api/v1/questions/{id}/note"), ("PUT", "/api/v1/questions/{id}/note"),
          ("DELETE", "/api/v1/questions/{id}/note"), ("GET", "/api/v1/notes")]


def test_every_route_needs_a_token_and_is_no_store(client, app, learner, exam):
    """Without a token each route is 401 INVALID_TOKEN; with one, the answer (even an error) is Cache-Control: no-store."""
    qid = _question_ids(app, exam)[0]
    bodies = {"PATCH": {"tags": []}, "PUT": {"body": "x"}}
    for method, path in ROUTES:
        url = path.replace("{id}", str(qid))
        anonymous = client.open(url, method=method, json=bodies.get(method))
        assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "INVALID_TOKEN", (method, url)
        signed = client.open(url, method=method, json=bodies.get(method), headers=learner[1])
        assert signed.headers.get("Cache-Control") == "no-store", (method, url, signed.status_code)


def test_the_openapi_document_describes_the_routes(client):
    """Each bookmark and note route is in /api/v1/openapi.json with the bearer requirement."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for method, path in ROUTES:
        documented = path.replace("{id}", "{question_id}")
        operation = spec["paths"][documented][method.lower()]
        assert operation["security"] == [{"bearerAuth": []}], (method, path)
    post = spec["paths"]["/api/v1/questions/{question_id}/bookmark"]["post"]["responses"]
    assert {"200", "201"} <= set(post)

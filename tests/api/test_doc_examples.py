"""docs/API.md's worked examples are executable: every operation has one, and they all run, in
document order, as one learner's story against the app, with the documented status and shape.

The format and the shape rules are in tests/tools/doc_examples.py and at the top of docs/API.md.
The story needs a bank and an administrator; they are made here, not in the document.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from werkzeug.exceptions import HTTPException

from config import ROOT
from tests.factories import gen_bank, gen_token, gen_user
from tests.tools.doc_examples import PLACEHOLDER, MalformedExample, check_placeholders, parse, run, shape_errors

DOC = (ROOT / "docs" / "API.md").read_text()
# The Security+ blueprint, one objective a domain: enough for the story's 5-question quizzes.
SECURITY_PLUS = [
    {"number": "1.0", "name": "General Security Concepts", "weight_percent": 12, "objectives": [
        {"code": "1.1", "title": "Compare and contrast various types of security controls"}]},
    {"number": "2.0", "name": "Threats, Vulnerabilities, and Mitigations", "weight_percent": 22, "objectives": [
        {"code": "2.3", "title": "Explain various types of vulnerabilities"}]},
    {"number": "3.0", "name": "Security Architecture", "weight_percent": 18, "objectives": [
        {"code": "3.1", "title": "Compare and contrast security implications of different architecture models"}]},
    {"number": "4.0", "name": "Security Operations", "weight_percent": 28, "objectives": [
        {"code": "4.1", "title": "Given a scenario, apply common security techniques to computing resources"}]},
    {"number": "5.0", "name": "Security Program Management and Oversight", "weight_percent": 20, "objectives": [
        {"code": "5.1", "title": "Summarize elements of effective security governance"}]},
]
GIVEN = {"admin_token", "exam_day"}  # the placeholders the test supplies; every other one is captured


def _given(app) -> dict:
    """The bank, an administrator's token and an exam day a month ahead."""
    gen_bank(app, per_objective=5, slug="security", name="Security+", code="SY0-701", id_prefix="sy0-701",
             domains=SECURITY_PLUS)
    admin = gen_user(app, username="grace", email="grace@example.com", is_admin=True)
    return {"admin_token": gen_token(app, admin),
            "exam_day": (dt.date.today() + dt.timedelta(days=30)).isoformat()}


def test_the_document_is_well_formed_and_every_operation_has_an_example():
    """Every `### METHOD /path` section holds an example calling that operation, and every example
    parses: a request block, its response block, placeholders given or captured above."""
    examples, sections = parse(DOC)
    check_placeholders(examples, GIVEN)
    assert len(sections) >= 50 and len(examples) >= len(sections)
    bare = [f"line {s.line}: {s.method} {s.path}" for s in sections if not any(map(s.matches, s.examples))]
    assert not bare, f"give these sections a worked example (format at the top of docs/API.md): {bare}"


def test_every_route_is_called_by_an_example(app):
    """Each /api/v1 and /health route, every method, is called by at least one example."""
    examples, _ = parse(DOC)
    adapter = app.url_map.bind("localhost")
    called, astray = set(), []
    for example in examples:
        try:
            endpoint, _ = adapter.match(PLACEHOLDER.sub("1", example.target.split("?")[0]), method=example.method)
        except HTTPException:
            astray.append(str(example))
            continue
        called.add(f"{endpoint} {example.method}")
    routes = {f"{rule.endpoint} {method}" for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/api/v1", "/health")) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(routes) >= 50
    assert astray == [], "these examples call no route of the app"
    assert sorted(routes - called) == [], "add an example calling these endpoints to docs/API.md"


def test_the_examples_run_in_document_order_as_one_story(app, client):
    """Every example, run in order against the app, answers the documented status with a body of
    the documented shape (and, for an error, the documented code and field)."""
    values = _given(app)
    examples, _ = parse(DOC)
    for example in examples:
        outcome = run(client, example, values)
        assert not outcome.errors, (f"{example} drifted from the code:\n  " + "\n  ".join(outcome.errors)
                                    + "\nactual body: " + json.dumps(outcome.body, ensure_ascii=False)[:4000])
    assert len(examples) >= 70


@pytest.mark.parametrize(("documented", "actual", "complaint"), [
    ({"id": 1, "name": "..."}, {"id": 2}, "'name' is missing"),
    ({"id": 1}, {"id": 2, "secret": "x"}, "'secret' is not documented"),
    ({"id": 1}, {"id": "1"}, "documented integer, got string"),
    ({"score": 82.5}, {"score": 82}, "documented number, got integer"),
    ({"passed": None}, {"passed": False}, "documented null, got boolean"),
    ({"items": [{"id": 1}]}, {"items": [{"id": 1}, {"id": None}]}, "body.items[1].id"),
    ({"items": [{"id": 1}]}, {"items": []}, "got 0 items"),
    ({"notes": []}, {"notes": ["too_fast"]}, "an empty list"),
    ({"answers": {"45": {"marked": False}}}, {"answers": {"7": {"marked": 1}}}, "body.answers['7'].marked"),
    ({"paths": {"/x": {}, "...": "..."}}, {"paths": {"/y": {}}}, "'/x' is missing"),
])
def test_the_shape_check_refuses_each_kind_of_drift(documented, actual, complaint):
    """A missing or undocumented key, another JSON type, a null, a bad list element or map value is reported."""
    errors = shape_errors(documented, actual)
    assert any(complaint in error for error in errors), errors


def test_the_shape_check_accepts_other_values_of_the_same_shape():
    """Values differ freely: strings, numbers, ids as map keys, list lengths and open objects' extra keys."""
    documented = {"id": 31, "stem": "...", "score": 75.0, "answers": {"45": {"ids": [1]}, "46": {"ids": None}},
                  "items": [{"ok": True}], "paths": {"...": "..."}}
    actual = {"id": 7, "stem": "Which port?", "score": 20.0, "answers": {"3": {"ids": None}, "4": {"ids": [9, 8]}},
              "items": [{"ok": False}, {"ok": True}], "paths": {"/a": 1}}
    assert shape_errors(documented, actual) == []


@pytest.mark.parametrize(("text", "complaint"), [
    ("```http example\nGET /x\n```\n", "without a response block"),
    ("```http example\nFETCH /x\n```\n```json response 200\n{}\n```\n", "'METHOD /path'"),
    ("```http example\nPOST /x\nContent-Type: application/json\n\n{\"a\": }\n```\n```json response 200\n{}\n```\n", "not JSON"),
    ("```http example\nGET /x\n```\n```json\n{}\n```\n", "must be 'json|html|http response NNN'"),
    ("```http example\nGET /x\n```\n```json response 200\n{\"a\": [...]}\n```\n", "response body is not JSON"),
    ("```http example\nDELETE /x\n```\n```http response 204\n\n```\n", "holds only 'HTTP/1.1 204"),
    ("```http example\nGET /x\n```\n<!-- capture: x = a b -->\n```json response 200\n{}\n```\n", "'name = json.path'"),
    ("```json response 200\n{}\n```\n", "without a request"),
])
def test_the_parser_refuses_malformed_examples(text, complaint):
    """A request without a response, a bad request line, bad JSON, a wrong block, a bad capture fail."""
    with pytest.raises(MalformedExample, match=re.escape(complaint)):
        parse(text)


def test_a_placeholder_must_be_given_or_captured_above():
    """`{quiz_id}` used before any response captures it is malformed; captured first, it is fine."""
    used_first = ("```http example\nGET /q/{quiz_id}\n```\n```json response 200\n{}\n```\n"
                  "```http example\nPOST /q\n```\n<!-- capture: quiz_id = id -->\n```json response 201\n{}\n```\n")
    examples, _ = parse(used_first)
    with pytest.raises(MalformedExample, match="quiz_id"):
        check_placeholders(examples, set())
    check_placeholders(examples[::-1], set())
    assert examples[1].captures == [("quiz_id", "id")]

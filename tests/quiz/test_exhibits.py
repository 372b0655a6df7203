"""A question's exhibit is shown above its stem in the quiz panel and the review, and the API
returns it (null when there is none)."""

from __future__ import annotations

import json
import re

from tests.factories import bearer, gen_exam, gen_question, gen_token, gen_user, login

TEXT = {"kind": "text", "title": "Output of ipconfig <eth0>",
        "text": "IPv4 Address. . . : 169.254.10.4\nSubnet Mask . . . : 255.255.0.0"}
TABLE = {"kind": "table", "title": "DHCP scope settings", "columns": ["Setting", "Value"],
         "rows": [["Lease", "8 days"], ["Router", "10.0.0.1"]]}


def _exam_with_exhibits(app):
    """Five questions on objective 1.1: one with a text exhibit, one with a table, three without."""
    exam = gen_exam(app)
    ids = {"text": gen_question(app, exam, exhibit=TEXT, stem="Refer to the exhibit. What is wrong?").id,
           "table": gen_question(app, exam, exhibit=TABLE, stem="Based on the table shown, what is wrong?").id}
    for _ in range(3):
        gen_question(app, exam)
    return exam, ids


def _figure(html: str) -> str:
    found = re.search(r'<figure class="exhibit.*?</figure>', html, re.S)
    assert found, "no exhibit figure"
    return found.group(0)


def _assert_text_exhibit(figure: str) -> None:
    """A captioned <pre> in a focusable scroll box named by the caption; the title is escaped."""
    caption = re.search(r'<figcaption id="([^"]+)"[^>]*>(.*?)</figcaption>', figure, re.S)
    assert caption and "Output of ipconfig &lt;eth0&gt;" in caption.group(2)
    assert re.search(rf'<div class="exhibit-scroll" tabindex="0" role="region" aria-labelledby="{caption.group(1)}"',
                     figure)
    assert '<pre class="exhibit-text">IPv4 Address. . . : 169.254.10.4\nSubnet Mask . . . : 255.255.0.0</pre>' in figure


def _assert_table_exhibit(figure: str) -> None:
    """A real table with a caption, column headers and one cell per column."""
    assert "<figcaption" in figure and "<caption" in figure and "DHCP scope settings" in figure
    assert re.findall(r'<th scope="col">([^<]+)</th>', figure) == ["Setting", "Value"]
    assert re.findall(r"<td>([^<]+)</td>", figure) == ["Lease", "8 days", "Router", "10.0.0.1"]


def test_quiz_panel_review_and_api_show_the_exhibits(client, app):
    """The panel and the review render each exhibit above the stem; quiz and question payloads carry it."""
    exam, ids = _exam_with_exhibits(app)
    user = gen_user(app, username="exhibitor")
    headers = bearer(gen_token(app, user))
    quiz = client.post("/api/v1/quizzes", headers=headers, json={"exam_type": exam.slug, "count": 5}).get_json()
    exhibits = {question["id"]: question["exhibit"] for question in quiz["questions"]}
    assert exhibits[ids["text"]] == TEXT and exhibits[ids["table"]] == TABLE
    assert [value for qid, value in exhibits.items() if qid not in ids.values()] == [None] * 3
    again = client.get(f"/api/v1/quizzes/{quiz['id']}", headers=headers).get_json()
    assert {question["id"]: question["exhibit"] for question in again["questions"]} == exhibits
    assert client.get(f"/api/v1/questions/{ids['table']}", headers=headers).get_json()["exhibit"] == TABLE
    listed = client.get(f"/api/v1/questions?exam_type={exam.slug}", headers=headers).get_json()["items"]
    assert {item["id"]: item["exhibit"] for item in listed} == exhibits

    login(client, "exhibitor")
    order = [question["id"] for question in quiz["questions"]]
    for kind, check in (("text", _assert_text_exhibit), ("table", _assert_table_exhibit)):
        html = client.get(f"/quizzes/{quiz['id']}/q/{order.index(ids[kind]) + 1}").get_data(as_text=True)
        check(_figure(html))
        assert html.index("<figure") < html.index('<p class="stem">')
    plain = client.get(f"/quizzes/{quiz['id']}/q/{next(n for n, qid in enumerate(order, 1) if qid not in ids.values())}")
    assert "<figure" not in plain.get_data(as_text=True)

    client.post(f"/api/v1/quizzes/{quiz['id']}/submit", headers=headers)
    review = client.get(f"/quizzes/{quiz['id']}/review").get_data(as_text=True)
    figures = re.findall(r'<figure class="exhibit.*?</figure>', review, re.S)
    assert len(figures) == 2
    for figure in figures:
        (_assert_text_exhibit if "<pre" in figure else _assert_table_exhibit)(figure)
    assert len(set(re.findall(r'<figcaption id="([^"]+)"', review))) == 2


def test_openapi_documents_the_exhibit_field(client):
    """The OpenAPI document describes `exhibit` on questions, with its kinds."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    question = schemas["QuestionOut"]["properties"]["exhibit"]
    assert "ExhibitOut" in json.dumps(question) and "null" in json.dumps(question)  # null or nullable
    exhibit = schemas["ExhibitOut"]["properties"]
    assert exhibit["kind"]["enum"] == ["text", "table"]
    assert {"title", "text", "columns", "rows"} <= set(exhibit)

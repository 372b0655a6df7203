"""The exam catalogue and exam pages: full pages, counts, 404 and empty states."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import gen_exam, gen_question
from webapp.extensions import db


@pytest.fixture
def demo_exam(app):
    """An exam like Security+ with three active questions and one retired one."""
    exam = gen_exam(app, slug="security", code="SY0-701", name="Security+")
    gen_question(app, exam, objective="1.1")
    gen_question(app, exam, objective="1.1")
    gen_question(app, exam, objective="2.1")
    gen_question(app, exam, objective="2.1", is_active=False)
    return exam


def _squash(html: str) -> str:
    """The page text with tags removed and whitespace collapsed, for reading rows."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_catalogue_lists_each_exam_with_format_domains_and_link(client, demo_exam):
    """/exams shows code, name, the exam format, domain weights with question counts and a link."""
    response = client.get("/exams")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and "<h1>Exams</h1>" in html
    text = _squash(html)
    assert "SY0-701" in text and "Security+" in text
    assert "90 questions · 90 minutes · passing 750/900" in text
    assert "1.0 Foundations 60% 2" in text and "2.0 Operations 40% 1" in text
    assert 'href="/exams/security"' in html
    assert '<th scope="col" class="num">Weight</th>' in html
    assert 'id="exams-empty"' not in html


def test_catalogue_hides_inactive_exams(client, app, demo_exam):
    """An exam switched off is not listed."""
    gen_exam(app, slug="retired", name="Retired+", is_active=False)
    response = client.get("/exams")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Security+" in html and 'href="/exams/security"' in html
    assert "Retired+" not in html and 'href="/exams/retired"' not in html


def test_exam_page_groups_objectives_by_domain_with_counts(client, demo_exam):
    """/exams/<slug> lists each domain as a section with its objectives and active question counts."""
    response = client.get("/exams/security")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and "<title>Security+ SY0-701 · CertQuest</title>" in html
    assert '<h2 id="domain-1-0-heading">' in html and 'id="domain-2-0-objectives"' in html
    text = _squash(html)
    assert "1.1 Explain the basics 2" in text
    assert "1.2 Compare the options 0" in text
    assert "2.1 Given a scenario, troubleshoot 1" in text
    assert "3 practice questions across 3 objectives" in text
    assert 'id="exam-empty"' not in html


def test_unknown_exam_is_404_page(client, demo_exam):
    """An unknown slug renders the HTML 404 page through the error policy."""
    response = client.get("/exams/no-such-exam")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_inactive_exam_page_is_404(client, app):
    """An exam that is switched off has no page."""
    gen_exam(app, slug="retired", is_active=False)
    assert client.get("/exams/retired").status_code == 404


def test_catalogue_empty_state_without_exams(client):
    """With nothing loaded, /exams explains how questions get there."""
    html = client.get("/exams").get_data(as_text=True)
    assert 'id="exams-empty"' in html and "flask load-bank" in html


def test_exam_page_empty_state_without_questions(client, app):
    """An exam with a blueprint but no questions shows its objectives and an empty state."""
    gen_exam(app, slug="network", name="Network+")
    html = client.get("/exams/network").get_data(as_text=True)
    assert 'id="exam-empty"' in html and "No practice questions for Network+ yet." in html
    assert "1.1 Explain the basics 0" in _squash(html)
    assert 'id="exams-empty"' in client.get("/exams").get_data(as_text=True)


def test_navigation_links_to_the_catalogue(client, demo_exam):
    """The main navigation has an Exams link, marked current on the catalogue."""
    assert '<a href="/exams"' in client.get("/").get_data(as_text=True)
    assert '<a href="/exams" aria-current="page">Exams</a>' in client.get("/exams").get_data(as_text=True)


def test_catalogue_queries_do_not_grow_with_exams(client, app, demo_exam):
    """Counting uses grouped queries: more exams and questions do not add SQL statements."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/exams")
        few = len(statements)
        assert few >= 4  # exams, domains, objectives, grouped counts
        for n in range(3):
            exam = gen_exam(app, slug=f"extra{n}")
            gen_question(app, exam, objective="1.2")
        statements.clear()
        client.get("/exams")
        assert len(statements) == few
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

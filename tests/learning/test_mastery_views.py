"""Mastery and readiness on the pages: the exam page, /progress and the dashboard show the bars with
their text and table, the definition of mastered, readiness in words and a number (or what is
missing) and the start forms of "what would raise it"; a visitor sees none of it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import gen_bank, gen_learning_rows, gen_study_answers
from webapp.extensions import db
from webapp.models import Question
from tests.learning.helpers import questions_by_objective, with_learning



def _answer(app, user, exam, plan: dict[str, tuple[int, int]]) -> None:
    """`plan`: objective code -> (right, wrong) study answers, then the engine's rows rebuilt."""
    questions = questions_by_objective(app, exam)
    for code, (right, wrong) in plan.items():
        gen_study_answers(app, user, questions[code][0], [True] * right + [False] * wrong)
    gen_learning_rows(app, user)


def test_the_exam_page_shows_mastery_bars_and_what_is_missing(app, client, signed_in):
    """Exam page: a bar per objective with its interval in words, the definition, and 'Answer 5 more in 2.0'."""
    exam = gen_bank(app, per_objective=4)
    _answer(app, signed_in, exam, {"1.1": (16, 4), "2.1": (5, 5)})
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert 'id="mastery-demo"' in html and html.count('class="mastery-bar"') == 3
    assert "<strong>Mastered</strong> means we are at least 90% sure your recent accuracy on the objective is 80%" in html
    # 1.1: Beta(16 + 1.375, 4 + 0.625) (the learner's prior at 22/32), 79%, moved by the learning term
    # of 20 answers to 81%.
    alpha, beta = with_learning(17.375, 4.625, 20)
    assert round(100 * alpha / (alpha + beta)) == 81
    assert "Estimated accuracy 81%, between" in html and "from 20 answers; not mastered yet." in html
    assert 'id="readiness-demo"' in html and "No estimate yet." in html
    assert "Answer 5 more in 2.0 Operations" in html


def test_the_exam_page_shows_readiness_with_why_and_how_to_raise_it(app, client, signed_in):
    """Once every domain has 15 answers: 'About N% likely to pass today (a–b%)', the expected score, the
    domain holding it down, and study/quiz forms on its objectives posting to the quiz start."""
    exam = gen_bank(app, per_objective=6)
    _answer(app, signed_in, exam, {"1.1": (18, 2), "1.2": (10, 0), "2.1": (8, 8)})
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    headline = re.search(r"About (\d+)% likely to pass today</strong> <span class=\"readiness-range\">\((\d+)–(\d+)%\)",
                         html)
    assert headline and int(headline[2]) <= int(headline[1]) <= int(headline[3])
    assert "An estimate, not a promise" in html and "Expected score <strong>" in html
    assert "<strong>Why not higher:</strong> 2.0 Operations" in html
    assert "6 questions on 2.0 Operations (2.1)" in html
    forms = re.findall(r'<form method="post" action="/quizzes"[^>]*>(.*?)</form>', html.split('id="readiness-demo"')[1]
                       .split("</section>")[0], re.S)
    assert len(forms) == 2 and all('name="objectives" type="hidden" value="2.1"' in f for f in forms)
    assert "Study these" in forms[0] and "Quiz me on them" in forms[1]


def test_a_readiness_form_starts_a_study_session_on_the_focus_objectives(app, client, signed_in):
    """Posting the 'Study these' form (as rendered) starts a study session."""
    exam = gen_bank(app, per_objective=6)
    _answer(app, signed_in, exam, {"1.1": (18, 2), "1.2": (10, 0), "2.1": (8, 8)})
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    section = html.split('id="readiness-demo"')[1].split("</form>")[0]
    fields = re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', section)
    response = client.post("/quizzes", data=dict(fields))
    assert response.status_code == 302 and "/study/" in response.headers["Location"]


def test_progress_shows_mastery_with_a_table(app, client, signed_in):
    """/progress has the exam's mastery bars and the table (estimate, interval, P(mastered), mastered) per objective."""
    exam = gen_bank(app, per_objective=4)
    _answer(app, signed_in, exam, {"1.1": (30, 0)})
    html = client.get("/progress").get_data(as_text=True)
    assert 'id="mastery-demo"' in html and "Mastery as a table" in html
    assert "<th scope=\"col\">P(accuracy ≥ 80%)</th>" in html
    row = re.search(r"<tr><th scope=\"row\">1.1 Explain the basics</th>(.*?)</tr>", html)
    assert row and "<td>30</td>" in row[1] and "<td>Yes</td>" in row[1]
    fragment = client.get("/progress?period=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="mastery-demo"' in fragment


def test_the_dashboard_shows_readiness_or_its_empty_state(app, client, signed_in):
    """A new learner's dashboard says when readiness appears; after answers it shows the exam's card."""
    exam = gen_bank(app, per_objective=4)
    html = client.get("/").get_data(as_text=True)
    assert 'id="readiness-empty"' in html and "answered 15 questions in each of its domains" in html
    _answer(app, signed_in, exam, {"1.1": (18, 2), "2.1": (12, 3)})
    html = client.get("/").get_data(as_text=True)
    assert 'id="readiness-demo"' in html and "likely to pass today" in html and 'id="readiness-empty"' not in html


def test_a_visitor_sees_the_exam_page_without_mastery_or_readiness(app, client):
    """Signed out, the exam page has its objectives but no mastery bars and no readiness."""
    exam = gen_bank(app, per_objective=4)
    html = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert "Explain the basics" in html and 'id="mastery-demo"' not in html and 'id="readiness-demo"' not in html


def test_a_cold_exam_page_reads_the_posteriors_once(app, client, signed_in, monkeypatch):
    """With nothing remembered, the exam page's readiness, its focus and its mastery bars share one
    read of the learner's mastery rows, and show the same figures as a page computed afresh."""
    exam = gen_bank(app, per_objective=4)
    _answer(app, signed_in, exam, {"1.1": (16, 4), "1.2": (8, 2), "2.1": (12, 8)})
    first = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM objective_mastery" in statement and "weighted_correct" in statement:
            reads.append(statement)

    monkeypatch.setitem(app.config, "LEARNING_MEMO_SIZE", 0)
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        cold = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1
    bars = re.compile(r'<span class="visually-hidden">Estimated accuracy [^<]*</span>')
    assert bars.findall(cold) == bars.findall(first) and len(bars.findall(cold)) == 3

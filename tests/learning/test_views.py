""""N reviews due" on the dashboard and the exam page: the empty states (no card yet; cards but
none due, with the next due time in the learner's zone), the counts (the API's, from one
service), and "Review now", a plain form that starts a `due` study session, most overdue first."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import sqlalchemy as sa

from tests.factories import bearer, gen_exam, gen_question, gen_token
from tests.learning.helpers import give_cards, small_exam
from webapp.extensions import db
from webapp.models import QuestionSource, QuizMode, ReviewCard, StudyQuestion, StudySession
from webapp.models.base import utcnow
from webapp.timefmt import format_local

ZONE = "America/New_York"


def _fragment(page: str) -> str:
    """The reviews-due section of a page."""
    match = re.search(r'<section class="card card-wide reviews-due" id="reviews-due".*?</section>', page, re.S)
    assert match, "no #reviews-due section"
    return match.group(0)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _review_form(fragment: str, slug: str) -> dict[str, str]:
    """The fields of the exam's "Review now" form."""
    item = re.search(rf'<li class="reviews-due-item" id="reviews-due-{slug}".*?</li>', fragment, re.S).group(0)
    form = re.search(r'<form method="post" action="/quizzes" class="reviews-due-start">.*?</form>', item, re.S)
    assert form and "Review now" in form.group(0)
    return dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form.group(0)))


def test_a_learner_without_cards_sees_when_reviews_appear(client, app, signed_in):
    """No card yet: the dashboard's section says reviews appear once you answer questions, with no button."""
    gen_exam(app)
    response = client.get("/")
    assert response.status_code == 200
    fragment = _fragment(response.get_data(as_text=True))
    assert "Reviews appear here once you answer questions" in _text(fragment) and "Review now" not in fragment


def test_cards_but_none_due_show_the_next_due_time_in_the_learners_zone(client, app, sign_in):
    """Cards not due yet: "no review due. Next review due <local time>" on the dashboard and the exam page."""
    user = sign_in(timezone=ZONE)
    exam, ids = small_exam(app)
    give_cards(app, user, [(ids[0], True, utcnow() - timedelta(hours=1))])
    with app.app_context():
        due = db.session.scalar(sa.select(ReviewCard.due).where(ReviewCard.user_id == user.id))
    expected = f"Next review due {format_local(due, ZONE)}"
    assert "EST" in expected or "EDT" in expected
    for url in ("/", f"/exams/{exam.slug}"):
        response = client.get(url)
        assert response.status_code == 200, url
        fragment = _fragment(response.get_data(as_text=True))
        assert expected in _text(fragment) and "Review now" not in fragment, url


def test_dashboard_and_exam_page_show_the_apis_counts(client, app, signed_in):
    """2 due of 3 in one exam, 1 due of 1 in another: the dashboard lists both, the exam page its
    own, and the numbers are the API's."""
    exam, ids = small_exam(app, slug="first")
    other = gen_exam(app, slug="second")
    extra = gen_question(app, other)
    long_ago = utcnow() - timedelta(days=4)
    give_cards(app, signed_in, [(ids[0], False, long_ago), (ids[1], False, long_ago),
                                (ids[2], True, utcnow() - timedelta(minutes=1)), (extra.id, False, long_ago)])
    api = client.get("/api/v1/reviews/due", headers=bearer(gen_token(app, signed_in))).get_json()
    assert {item["exam_type"]: item["due"] for item in api["exams"]} == {"first": 2, "second": 1}
    dashboard = _text(_fragment(client.get("/").get_data(as_text=True)))
    for item in api["exams"]:
        assert f"{item['exam_name']}: {item['due']} review{'s' if item['due'] > 1 else ''} due" in dashboard
    page = client.get(f"/exams/{exam.slug}").get_data(as_text=True)
    assert "2 reviews due of 3 questions you have answered" in _text(_fragment(page))
    assert 'id="reviews-due-second"' not in page and 'id="reviews-due-first"' in page


def test_review_now_starts_a_due_study_session_most_overdue_first(client, app, signed_in):
    """The exam page's "Review now" form, posted as it is (no JavaScript), opens a study session
    from the `due` source holding the due cards, most overdue first."""
    exam, ids = small_exam(app, questions=6)
    start = utcnow() - timedelta(days=6)
    order = [ids[4], ids[1], ids[5]]
    give_cards(app, signed_in, [(qid, False, start + timedelta(hours=n)) for n, qid in enumerate(order)])
    fields = _review_form(_fragment(client.get(f"/exams/{exam.slug}").get_data(as_text=True)), exam.slug)
    assert {k: fields[k] for k in ("exam", "mode", "source")} == {
        "exam": exam.slug, "mode": QuizMode.STUDY.value, "source": QuestionSource.DUE.value}
    response = client.post("/quizzes", data=fields)
    assert response.status_code == 302 and "/study/" in response.headers["Location"]
    with app.app_context():
        session = db.session.scalars(sa.select(StudySession).where(StudySession.user_id == signed_in.id,
                                                                  StudySession.source == QuestionSource.DUE)).one()
        drawn = db.session.scalars(sa.select(StudyQuestion.question_id).where(StudyQuestion.session_id == session.id)
                                   .order_by(StudyQuestion.position)).all()
    assert session.source == QuestionSource.DUE and drawn == order


def test_the_dashboards_review_now_works_for_each_exam(client, app, signed_in):
    """Each exam with reviews due has its own "Review now" on the dashboard, naming its exam."""
    exam, ids = small_exam(app, slug="uno")
    other = gen_exam(app, slug="dos")
    extra = gen_question(app, other)
    give_cards(app, signed_in, [(ids[0], False, utcnow() - timedelta(days=2)),
                                (extra.id, False, utcnow() - timedelta(days=2))])
    fragment = _fragment(client.get("/").get_data(as_text=True))
    assert [_review_form(fragment, slug)["exam"] for slug in ("uno", "dos")] == ["uno", "dos"]
    assert fragment.count('aria-describedby="reviews-due-text-') == 2
    response = client.post("/quizzes", data=_review_form(fragment, "dos"))
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalars(sa.select(StudySession).where(StudySession.user_id == signed_in.id,
                                                                  StudySession.source == QuestionSource.DUE)).one()
        assert (session.exam_id, session.question_count) == (other.id, 1)


def test_visitors_and_retired_exams_show_no_reviews(client, app, sign_in):
    """A visitor's exam page has no reviews section; nor has a retired exam's page for an admin."""
    exam, _ids = small_exam(app)
    response = client.get(f"/exams/{exam.slug}")
    assert response.status_code == 200 and "Start" in response.get_data(as_text=True)
    assert 'id="reviews-due"' not in response.get_data(as_text=True)
    sign_in(is_admin=True)
    retired = gen_exam(app, slug="old", is_active=False)
    gen_question(app, retired)
    response = client.get(f"/exams/{retired.slug}")
    assert response.status_code == 200 and 'id="retired-note"' in response.get_data(as_text=True)
    assert 'id="reviews-due"' not in response.get_data(as_text=True)

"""The /progress page and its chart fragments: full page and fragments, pushed URLs, the GET
filter without JavaScript, tables matching the figures, empty states, the weak areas' start
buttons, no-store, sign-in, privacy, and the dashboard's summary."""

from __future__ import annotations

import json
from html import unescape
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import gen_bank, gen_scored_quiz, gen_study_answers, gen_user, login
from webapp.analytics import charts, services
from webapp.extensions import db
from webapp.models import Question, QuizAttempt, StudySession, User
from webapp.models.base import utcnow

HX = {"HX-Request": "true"}


def _questions(app, exam) -> list[Question]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Question).where(Question.exam_id == exam.id).order_by(Question.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def learner_data(app, client, sign_in):
    """A signed-in learner with two quizzes (40% 3 days ago, 80% today) and twelve wrong study
    answers on the last objective (2.1; six questions an objective)."""
    exam = gen_bank(app, per_objective=6)
    user = sign_in(username="learner")
    questions = _questions(app, exam)
    gen_scored_quiz(app, user, questions[:10], 4, utcnow() - timedelta(days=3))
    gen_scored_quiz(app, user, questions[:10], 8)
    gen_study_answers(app, user, questions[-1], [False] * 12)
    return exam, user


def _figures(html: str) -> dict[str, dict]:
    """The figure dicts of the page's charts, by container id (the JSON in each `data-figure`)."""
    return {m.group(1): json.loads(unescape(m.group(2))) for m in
            re.finditer(r'id="([^"]+)" data-figure=\'([^\']*)\'', html)}


def test_the_full_page_renders_every_chart_with_its_table(client, learner_data):
    """GET /progress is the whole page: filter, summary, both charts' figures and tables, weak areas, no-store, Vary."""
    response = client.get("/progress?period=7d")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert response.headers["Cache-Control"] == "no-store" and "HX-Request" in response.headers["Vary"]
    assert {"progress-filter", "progress-body", "chart-scores", "chart-objectives", "weak-areas"} <= set(
        re.findall(r'id="([^"]+)"', html))
    assert set(_figures(html)) == {"chart-scores-figure", "chart-objectives-demo-figure"}
    assert 'checked id="period-0" name="period" type="radio" value="7d"' in html
    assert 'href="/progress"' in html and ">Progress</a>" in html


def test_htmx_gets_the_body_with_lazily_loaded_charts(client, learner_data):
    """With HX-Request, /progress answers only #progress-body, whose charts load as fragments carrying the filter."""
    response = client.get("/progress?period=90d&exam=demo", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="progress-body"')
    assert "HX-Request" in response.headers["Vary"] and response.headers["Cache-Control"] == "no-store"
    assert 'hx-get="/progress/charts/scores?period=90d&amp;exam=demo"' in html
    assert 'hx-get="/progress/charts/objectives?exam=demo"' in html and 'hx-trigger="load"' in html
    assert _figures(html) == {}


def test_the_filter_pushes_its_url_and_works_as_a_plain_get_form(client, learner_data):
    """The filter is a GET form to /progress with hx-push-url; its values select the period and exam on a plain load."""
    html = client.get("/progress").get_data(as_text=True)
    form = re.search(r'<form id="progress-filter"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'action="/progress"' in form and 'hx-push-url="true"' in form
    assert 'hx-target="#progress-body"' in form
    shared = client.get("/progress?period=all&exam=demo").get_data(as_text=True)
    assert 'checked id="period-3"' in shared and '<option selected value="demo">' in shared
    assert f"All time · {learner_data[0].name}" in shared


@pytest.mark.parametrize("url", ["/progress/charts/scores?period=all", "/progress/charts/objectives?exam=demo"])
def test_each_chart_is_its_own_fragment_and_a_page_without_htmx(client, learner_data, url):
    """A chart URL answers its fragment (root id, no <html>) to htmx and a full page otherwise, varying on HX-Request."""
    fragment = client.get(url, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="chart-' in body.split(">")[0]
    assert "HX-Request" in fragment.headers["Vary"] and fragment.headers["Cache-Control"] == "no-store"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_the_tables_hold_the_same_numbers_as_the_figures(client, app, learner_data):
    """Every day and objective in a figure dict is a table row with the same values, and both come from the services."""
    _exam, user = learner_data
    html = client.get("/progress?period=all").get_data(as_text=True)
    figures = _figures(html)
    line = figures["chart-scores-figure"]["data"][1]
    bars = figures["chart-scores-figure"]["data"][0]
    rows = re.findall(r'<time datetime="([\d-]+)">.*?</time></th>\s*<td>(\d+)</td><td>([\d.]+)%</td>', html, re.S)
    assert [(day, int(n), float(score)) for day, n, score in rows] == list(zip(line["x"], bars["y"], line["y"]))
    with app.app_context():
        points = services.performance(db.session.get(User, user.id), "all").data_points
    assert line["y"] == [p.average_score for p in points] == [40.0, 80.0]
    accuracy = figures["chart-objectives-demo-figure"]["data"][0]
    objective_rows = re.findall(r'<th scope="row">([\d.]+) <span[^>]*>[^<]*</span></th>\s*<td>\d+</td><td>\d+</td>'
                                r'<td>([\d.]+)%</td>\s*<td>([\d.]+)–([\d.]+)%</td>', html)
    assert [(code, float(acc)) for code, acc, _low, _high in objective_rows] == list(zip(accuracy["x"], accuracy["y"]))
    assert [round(float(high) - float(acc), 1) for _code, acc, _low, high in objective_rows] == accuracy["error_y"]["array"]
    assert figures["chart-objectives-demo-figure"]["layout"]["shapes"][0]["y0"] == app.config["WEAK_AREA_ACCURACY_BELOW"]


def test_a_new_learner_sees_the_empty_states(client, app, signed_in):
    """Without answers, /progress says to take a quiz to see trends, draws no figure and lists no weak area."""
    gen_bank(app, per_objective=1)
    html = client.get("/progress").get_data(as_text=True)
    assert "take a quiz to see trends" in html and "No answers yet" in html and "No weak areas yet" in html
    assert _figures(html) == {}


def _post_start(client, html: str, button: str):
    """Post the start form whose button reads `button`, with its hidden fields: (response, fields)."""
    before = html.split(button)[0]
    form = before[before.rindex('<form method="post"'):]
    fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
    action = re.search(r'action="([^"]+)"', form).group(1)
    return client.post(action, data=fields), fields


def test_quiz_me_on_it_starts_a_practice_quiz_on_that_objective(client, app, learner_data):
    """"Quiz me on it" posts a practice quiz on the weak objective (2.1): every question drawn is from it."""
    _exam, user = learner_data
    html = client.get("/progress").get_data(as_text=True)
    response, fields = _post_start(client, html, "Quiz me on it</button>")
    assert (fields["mode"], fields["objectives"], fields["source"]) == ("practice", "2.1", "all")
    assert response.status_code == 302 and "/q/1" in response.headers["Location"]
    with app.app_context():
        attempt = db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.user_id == user.id)
                                     .order_by(QuizAttempt.id.desc())).first()
        assert {aq.question.objective.code for aq in attempt.questions} == {"2.1"} and len(attempt.questions) == 6


def test_study_this_objective_starts_a_study_session_on_it(client, app, learner_data):
    """"Study this objective" posts a study session on the weak objective and follows to its first question."""
    _exam, user = learner_data
    html = client.get("/progress").get_data(as_text=True)
    response, fields = _post_start(client, html, "Study this objective</button>")
    assert fields["mode"] == "study" and response.status_code == 302
    followed = client.get(response.headers["Location"], follow_redirects=True)
    assert followed.status_code == 200
    with app.app_context():
        session = db.session.scalars(sa.select(StudySession).where(StudySession.user_id == user.id)
                                     .order_by(StudySession.id.desc())).first()
        assert {sq.question.objective.code for sq in session.questions} == {"2.1"}


@pytest.mark.parametrize("url", ["/progress", "/progress/charts/scores?period=7d", "/progress/charts/objectives"])
def test_every_progress_route_needs_sign_in(client, app, url):
    """Anonymous visitors are sent to sign in from /progress and both chart fragments."""
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_another_learner_never_sees_the_owner_figures(app, learner_data):
    """A second learner's /progress shows none of the owner's quizzes, objectives or weak areas."""
    gen_user(app, username="other")
    other = app.test_client()
    login(other, "other")
    html = other.get("/progress?period=all").get_data(as_text=True)
    assert "take a quiz to see trends" in html and "No weak areas yet" in html and _figures(html) == {}
    assert "<dd>0</dd>" in html


def test_bad_filter_values_are_400s_next_to_the_field(client, learner_data):
    """An unknown period or exam re-renders the page with a 400 and the message next to the field; fragments 400 too."""
    bad_period = client.get("/progress?period=1y")
    assert bad_period.status_code == 400 and 'id="period-error"' in bad_period.get_data(as_text=True)
    bad_exam = client.get("/progress?exam=nope")
    assert bad_exam.status_code == 400 and 'id="exam-error"' in bad_exam.get_data(as_text=True)
    assert client.get("/progress/charts/scores?period=1y", headers=HX).status_code == 400
    assert client.get("/progress/charts/objectives?exam=nope", headers=HX).status_code == 400


def test_the_walk_finds_exactly_the_progress_routes(app):
    """Every analytics browser route is a GET covered by the sign-in test above (a new route needs a row there)."""
    found = {rule.rule: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("analytics.")}
    assert found == {"/progress": {"GET"}, "/progress/charts/scores": {"GET"}, "/progress/charts/objectives": {"GET"}}


def test_the_figure_dicts_are_plain_data(ctx, app):
    """The score figure of no quizzes is a JSON-serialisable dict with no points, drawn from the period's window."""
    from datetime import date

    from webapp.analytics.services import Performance, PerformanceSummary
    from webapp.models import AnalyticsPeriod

    empty = Performance(AnalyticsPeriod.WEEK, None, date(2026, 3, 1), date(2026, 3, 7), [],
                        PerformanceSummary(0, None, None, None, None))
    figure = charts.score_figure(empty)
    assert json.loads(json.dumps(figure))["layout"]["xaxis"]["range"] == ["2026-03-01 00:00", "2026-03-07 23:59"]
    assert [trace["x"] for trace in figure["data"]] == [[], []]


def test_the_dashboard_shows_this_week_against_last_and_the_top_weak_areas(client, app, learner_data):
    """The dashboard's "This week" card has the 7-day summary and the worst weak areas (at most 3) linking to /progress."""
    exam, user = learner_data
    html = client.get("/").get_data(as_text=True)
    card = html[html.index('id="week-summary"'):]
    card = card[:card.index("</section>")]
    with app.app_context():
        week = services.performance(db.session.get(User, user.id), "7d").summary
        weak = services.weak_areas(db.session.get(User, user.id)).weak_domains
    assert f"{week.total_quizzes} quizzes in the last 7 days, averaging <strong>{week.average_score:.1f}%</strong>" in card
    assert week.improvement is None and "no quizzes the week before" in card
    links = re.findall(r'href="(/progress\?exam=[^"#]+)#weak-areas">[^<]* ([\d.]+) ', card)
    assert links == [(f"/progress?exam={exam.slug}", w.domain) for w in weak[:3]] and len(links) == 1
    assert 'href="/progress"' in card


def test_the_dashboard_compares_with_last_week(client, app, sign_in):
    """With a quiz in each of the two weeks, the card says how many points this week's average moved."""
    exam = gen_bank(app, per_objective=6)
    user = sign_in(username="weekly")
    questions = _questions(app, exam)
    gen_scored_quiz(app, user, questions[:10], 5, utcnow() - timedelta(days=9))
    gen_scored_quiz(app, user, questions[:10], 8)
    card = client.get("/").get_data(as_text=True).split('id="week-summary"')[1].split("</section>")[0]
    assert "1 quiz in the last 7 days, averaging <strong>80.0%</strong>: <strong>+30.0 points</strong>" in card


def test_a_new_learners_dashboard_says_to_take_a_quiz(client, app, signed_in):
    """Without quizzes the "This week" card invites a quiz and lists no weak area."""
    card = client.get("/").get_data(as_text=True).split('id="week-summary"')[1].split("</section>")[0]
    assert "take a quiz to see trends" in card and "weakest areas" not in card.lower() and "/progress" in card


def test_the_weak_list_shows_the_configured_number_and_counts_the_rest(client, app, learner_data):
    """With PROGRESS_WEAK_AREAS_SHOWN = 1 and two weak objectives, one entry is listed and "1 more" is said."""
    exam, user = learner_data
    questions = _questions(app, exam)
    gen_study_answers(app, user, questions[6], [False] * 12)  # objective 1.2 (six questions an objective)
    app.config["PROGRESS_WEAK_AREAS_SHOWN"] = 1
    try:
        html = client.get("/progress").get_data(as_text=True)
    finally:
        app.config["PROGRESS_WEAK_AREAS_SHOWN"] = 10
    assert html.count('class="weak-item"') == 1 and "And 1 more weak objective:" in html


def test_every_exams_objectives_in_one_call_equal_one_call_each(app, learner_data):
    """domain_performances over two exams (one query) gives what domain_performance gives per exam."""
    exam, user = learner_data
    other = gen_bank(app, per_objective=1, slug="other")
    gen_study_answers(app, user, _questions(app, other)[0], [True, False, True])
    with app.app_context():
        learner = db.session.get(User, user.id)
        exams = [db.session.get(type(exam), exam.id), db.session.get(type(other), other.id)]
        together = services.domain_performances(learner, exams)
        apart = [services.domain_performance(learner, e.slug) for e in exams]
        assert [(d.exam.slug, d.domains) for d in together] == [(d.exam.slug, d.domains) for d in apart]
        assert [len(d.domains) for d in together] == [3, 1]


def test_progress_shows_the_recommendations_the_dashboard_shows(client, app, signed_in):
    """/progress carries the same "Recommended for you" list as the dashboard (a new learner's diagnostic)."""
    gen_bank(app, per_objective=6)
    page = client.get("/progress").get_data(as_text=True)
    dashboard = client.get("/").get_data(as_text=True)
    titles = re.findall(r'class="recommendation-title"[^>]*>([^<]+)<', dashboard)
    assert titles and titles == re.findall(r'class="recommendation-title"[^>]*>([^<]+)<', page)

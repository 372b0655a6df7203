"""database.per_request: a read made once per GET or HEAD request, never carried into another
request, and never used by a request that may write; and the catalogue reads built on it."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import gen_exam
from webapp.database import per_request
from webapp.extensions import db
from webapp.models import Exam
from webapp.questions.services import all_exams, visible_exams


def test_built_once_per_get_request(app):
    """Within one GET request the second call returns the first call's result without building."""
    builds = []
    with app.test_request_context("/", method="GET"):
        first = per_request("thing", lambda: builds.append(1) or ["built"])
        second = per_request("thing", lambda: builds.append(1) or ["again"])
    assert (first, second, len(builds)) == (["built"], ["built"], 1)


def test_each_request_builds_afresh(app):
    """A later request never sees an earlier request's memo, even in the same app context."""
    with app.app_context():
        with app.test_request_context("/"):
            first = per_request("thing", lambda: "one")
        with app.test_request_context("/"):
            second = per_request("thing", lambda: "two")
    assert (first, second) == ("one", "two")


def test_requests_that_may_write_and_code_outside_requests_always_build(app):
    """A POST (whose own change must show) and a call outside any request build every time."""
    counter = iter(range(10))
    with app.test_request_context("/", method="POST"):
        posted = [per_request("thing", lambda: next(counter)) for _ in range(2)]
    with app.app_context():
        outside = [per_request("thing", lambda: next(counter)) for _ in range(2)]
    assert (posted, outside) == ([0, 1], [2, 3])


def test_catalogue_reads_one_statement_per_page_and_see_a_change_next_request(app):
    """all_exams and visible_exams share one read per request; an exam retired between two
    requests is gone from a learner's list in the next one, and all_exams still lists it."""
    gen_exam(app, slug="alpha")
    gen_exam(app, slug="beta")
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            with app.test_request_context("/"):
                everything = [e.slug for e in all_exams()]
                learner = [e.slug for e in visible_exams(None)]
                reads = len(statements)
            db.session.execute(sa.update(Exam).where(Exam.slug == "beta").values(is_active=False))
            db.session.commit()
            with app.test_request_context("/"):
                later = [e.slug for e in visible_exams(None)]
                again = [e.slug for e in all_exams()]
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert (everything, learner, reads) == (["alpha", "beta"], ["alpha", "beta"], 1)
    assert (later, again) == (["alpha"], ["alpha", "beta"])

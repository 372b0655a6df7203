"""`flag_count` under concurrent reports, through a real gunicorn against the test database."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import gen_exam, gen_question, gen_token, gen_user
from tests.helpers import all_at_once, gunicorn_serving, post_json
from webapp.extensions import db
from webapp.models import Question, QuestionFeedback

REPORTERS = 10


def test_ten_learners_reporting_at_once_through_gunicorn_count_ten(app, tmp_path):
    """Ten simultaneous reports by ten learners through gunicorn (2 workers x 4 threads) give flag_count 10, flagged and withdrawn."""
    question = gen_question(app, gen_exam(app))
    tokens = [gen_token(app, gen_user(app)) for _ in range(REPORTERS)]
    report = {"feedback_type": "incorrect", "comment": "B is right, not A."}
    with gunicorn_serving(app, tmp_path) as base:
        url = f"{base}/api/v1/questions/{question.id}/feedback"
        results = all_at_once([lambda token=token: post_json(url, token, report) for token in tokens])
    assert sorted(status for status, _ in results) == [201] * REPORTERS, results
    with app.app_context():
        stored = db.session.get(Question, question.id)
        reports = db.session.scalar(sa.select(sa.func.count()).select_from(QuestionFeedback))
        assert (stored.flag_count, reports) == (REPORTERS, REPORTERS)
        assert stored.is_flagged and stored.withdrawn_at is not None

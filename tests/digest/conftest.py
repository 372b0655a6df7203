"""A real local SMTP server (aiosmtpd) for the digest tests, and the learner data they read."""

from __future__ import annotations

import email
import logging
import email.policy
import threading
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller

from tests.factories import gen_bank, gen_study_answers, gen_user
from tests.tools.servers import free_port
from webapp.digest.services import IsoWeek
from webapp.extensions import db
from webapp.models import DailyGoal, GoalDay, Question
from webapp.models.enums import GoalType

WEEK = IsoWeek(2026, 10)  # Monday 2 March 2026 to Sunday 8 March 2026


class RecordingHandler:
    """Keeps every delivered message; answers 451 to the recipients listed in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.controller: Controller | None = None
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self, port: int) -> None:
        """Listen on `port` (a stopped controller cannot restart, so each start makes a new one)."""
        self.port = port
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: the next connection is refused."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp(app, monkeypatch):
    """A running aiosmtpd server on a free port, with the app's MAIL_* pointing at it."""
    monkeypatch.setattr(logging.getLogger("mail.log"), "level", logging.WARNING)  # aiosmtpd chatters at INFO
    handler = RecordingHandler()
    handler.start(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", handler.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 5)
    monkeypatch.setitem(app.config, "EXTERNAL_URL", "https://certquest.example.org")
    yield handler
    handler.stop()


def at(day: int, hour: int = 12) -> datetime:
    """A UTC time on day `day` (0 = Monday) of WEEK."""
    return WEEK.starts_at + timedelta(days=day, hours=hour)


@pytest.fixture
def learner(app):
    """An opted-in learner with a goal, 3 goal days, and answers in WEEK (12 of 20 right) and the
    week before (5 of 10 right); objective 1.1 is weak (3 of 12 right)."""
    exam = gen_bank(app, per_objective=1)
    user = gen_user(app, username="weekly", digest_opt_in=True)
    with app.app_context():
        questions = list(db.session.scalars(db.select(Question).order_by(Question.id)))
        weak = next(q for q in questions if q.objective.code == "1.1")
        strong = next(q for q in questions if q.objective.code != "1.1")
        db.session.expunge_all()
    gen_study_answers(app, user, weak, [True] * 3 + [False] * 9, answered_at=at(1))  # week: 3/12
    gen_study_answers(app, user, strong, [True] * 8, answered_at=at(3))  # week: 8/8 -> 11/20
    gen_study_answers(app, user, strong, [True], answered_at=at(6, 23))  # Sunday 23:00: 12/21
    gen_study_answers(app, user, strong, [True] * 5 + [False] * 5, answered_at=at(-3))  # the week before
    gen_study_answers(app, user, strong, [True] * 4, answered_at=at(7, 1))  # the next week: not counted
    with app.app_context():
        db.session.add(DailyGoal(user_id=user.id, goal_type=GoalType.DAILY_QUESTIONS.value, target=5))
        for day in (WEEK.monday, WEEK.monday + timedelta(days=2), WEEK.sunday, WEEK.sunday + timedelta(days=1)):
            db.session.add(GoalDay(user_id=user.id, day=day, met_at=datetime.now(timezone.utc)))
        db.session.commit()
    user.exam = exam
    return user

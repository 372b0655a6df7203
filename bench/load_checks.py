"""The load test's end checks, apart from the load itself: bench/load.py runs them after its
learners stop, and tests/deploy/test_load.py proves they catch what they look for. (No Locust
here: importing it patches the standard library with gevent, which the test suite must not get.)

- `check_xp`: every learner's XP equals their ledger (the sum of `xp_events`), each result's
  `xp_earned` equals its attempt's ledger rows (source `attempt:<id>`), and the gamification
  rule replayed from the attempts (`recompute_all`, the code behind `flask gamification
  recompute`) finds no drift.
- `check_answers`: every answer a learner saw saved is, after submit, the attempt's stored
  answer, with its `answers` row, and the result counts exactly those as answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

# Problems listed per check, at most (the count of the rest is not needed to fail).
MAX_LISTED = 20


@dataclass
class Record:
    """What the learners did, as the load script saw it: the "own record" the checks compare
    with what the app stored."""

    learners: dict[str, str] = field(default_factory=dict)  # username -> source address
    saved: dict[int, dict[int, object]] = field(default_factory=dict)  # attempt id -> question id -> answer
    submitted: set[int] = field(default_factory=set)
    api_mismatches: list[str] = field(default_factory=list)  # saved answers GET /api/v1/quizzes/<id> lacked
    studies_finished: int = 0


def stored_answer(saved, selected_choice_ids, response):
    """The stored answer in the shape the script recorded it: sorted choice ids, or the
    `order` / `matches` part of an ordering or matching question's response."""
    if isinstance(saved, list):
        return sorted(selected_choice_ids or [])
    return {key: value for key, value in (response or {}).items() if key in saved}


def check_xp(app, usernames: list[str]) -> tuple[list[str], dict]:
    """XP = ledger for the learners named, per attempt too, and no drift from the rule:
    (problems, a summary of what was checked). Repairs any drift it finds (recompute_all)."""
    from webapp.extensions import db
    from webapp.gamification.services import recompute_all
    from webapp.models import AttemptResult, QuizAttempt, User, XpEvent

    problems: list[str] = []
    with app.app_context():
        users = db.session.execute(sa.select(User.id, User.username, User.xp)
                                   .where(User.username.in_(usernames))).all()
        if len(users) != len(usernames):
            problems.append(f"{len(usernames) - len(users)} learners have no account")
        ids = [user.id for user in users]
        ledger = dict(db.session.execute(sa.select(XpEvent.user_id, sa.func.sum(XpEvent.amount))
                                         .where(XpEvent.user_id.in_(ids)).group_by(XpEvent.user_id)).all())
        for user in users:
            if user.xp != ledger.get(user.id, 0):
                problems.append(f"{user.username}: users.xp {user.xp}, the ledger sums to {ledger.get(user.id, 0)}")
        per_attempt = dict(db.session.execute(sa.select(XpEvent.source, sa.func.sum(XpEvent.amount))
                                              .where(XpEvent.user_id.in_(ids)).group_by(XpEvent.source)).all())
        results = db.session.execute(sa.select(AttemptResult.attempt_id, AttemptResult.xp_earned)
                                     .join(QuizAttempt, QuizAttempt.id == AttemptResult.attempt_id)
                                     .where(QuizAttempt.user_id.in_(ids))).all()
        for attempt_id, earned in results:
            in_ledger = per_attempt.get(f"attempt:{attempt_id}", 0)
            if earned != in_ledger:
                problems.append(f"attempt {attempt_id}: the result says {earned} XP, the ledger {in_ledger}")
        db.session.rollback()
        drift = recompute_all()
        if drift.any:
            problems.append(f"the XP rule replayed from the attempts disagrees: {drift.summary()}")
        summary = {"learners": len(users), "xp_total": sum(user.xp for user in users), "results": len(results)}
    return problems[:MAX_LISTED], summary


def check_answers(app, record: Record) -> tuple[list[str], int]:
    """Every saved answer is its submitted attempt's stored answer, with its answers row, and the
    result's `answered` is the number saved: (problems, answers checked)."""
    from webapp.extensions import db
    from webapp.models import Answer, AttemptQuestion, AttemptResult

    problems, checked = [], 0
    with app.app_context():
        for attempt_id in sorted(record.submitted):
            saved = record.saved.get(attempt_id, {})
            stored = {row.question_id: row for row in db.session.execute(
                sa.select(AttemptQuestion.question_id, AttemptQuestion.selected_choice_ids, AttemptQuestion.response)
                .where(AttemptQuestion.attempt_id == attempt_id))}
            answer_rows = set(db.session.scalars(sa.select(Answer.question_id).where(Answer.attempt_id == attempt_id)))
            answered = db.session.scalar(sa.select(AttemptResult.answered).where(AttemptResult.attempt_id == attempt_id))
            if answered is None:
                problems.append(f"attempt {attempt_id}: submitted, but it has no result")
                continue
            for question_id, answer in saved.items():
                checked += 1
                row = stored.get(question_id)
                if row is None:
                    problems.append(f"attempt {attempt_id}: question {question_id} is not in the attempt")
                    continue
                got = stored_answer(answer, row.selected_choice_ids, row.response)
                if got != answer:
                    problems.append(f"attempt {attempt_id} question {question_id}: saved {answer}, stored {got}")
                if question_id not in answer_rows:
                    problems.append(f"attempt {attempt_id} question {question_id}: no answers row after submit")
            if answered != len(saved):
                problems.append(f"attempt {attempt_id}: the result counts {answered} answered, "
                                f"the learner saved {len(saved)}")
        db.session.rollback()
    return (problems + record.api_mismatches)[:MAX_LISTED], checked

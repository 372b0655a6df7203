"""Plain functions that create records for tests (no factory framework)."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from webapp.audit.services import RequestMeta
from webapp.auth import services as auth_services
from webapp.auth.passwords import hash_password
from webapp.extensions import db
from webapp.bookmarks.tags import tag_key
from webapp.models import (Answer, BookmarkTag, Choice, Domain, Exam, Objective, Question, QuestionBookmark, QuizMode,
                           StudySession, User)
from webapp.models.base import utcnow

DEFAULT_PASSWORD = "correct horse battery staple 42"
_counter = itertools.count(1)
META = RequestMeta(ip="127.0.0.1", user_agent="pytest", request_id="test")


def gen_user(app, username: str | None = None, email: str | None = None, password: str = DEFAULT_PASSWORD,
             is_admin: bool = False, **fields) -> User:
    """A saved user; returns it detached-safe (attributes loaded)."""
    n = next(_counter)
    username = username or f"learner{n}"
    email = email or f"{username}@example.com"
    with app.app_context():
        user = auth_services.register_user(email, username, password, META)
        user.is_admin = is_admin
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user

def user_in_db(app, **fields) -> User:
    """A new user (see gen_user), loaded in the current app context: for service tests run inside `ctx`."""
    return db.session.get(User, gen_user(app, **fields).id)



def gen_user_at_id(app, user_id: int, username: str, password: str = DEFAULT_PASSWORD) -> User:
    """A saved user forced onto `user_id`, as a database that reuses ids would hand it out."""
    with app.app_context():
        user = User(id=user_id, email=f"{username}@example.com", username=username,
                    password_hash=hash_password(password, app.config["PASSWORD_HASH_METHOD"]))
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def gen_token(app, user: User, ttl_days: int | None = None) -> str:
    """A live API token for `user`; returns the secret."""
    with app.app_context():
        fresh = db.session.get(User, user.id)
        return auth_services.create_token(fresh, "test token", META, ttl_days=ttl_days).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def login(client, login_name: str, password: str = DEFAULT_PASSWORD, remember: bool = False, next_url: str | None = None):
    """Sign in through the real form."""
    data = {"login": login_name, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data=data)


DEMO_DOMAINS = [
    {"number": "1.0", "name": "Foundations", "weight_percent": 60, "objectives": [
        {"code": "1.1", "title": "Explain the basics"},
        {"code": "1.2", "title": "Compare the options"},
    ]},
    {"number": "2.0", "name": "Operations", "weight_percent": 40, "objectives": [
        {"code": "2.1", "title": "Given a scenario, troubleshoot"},
    ]},
]


def gen_exam(app, slug: str | None = None, is_active: bool = True, domains: list[dict] | None = None,
             **fields) -> Exam:
    """A saved exam with its domains and objectives (the demo blueprint unless given)."""
    n = next(_counter)
    slug = slug or f"exam{n}"
    with app.app_context():
        exam = Exam(slug=slug, code=fields.pop("code", f"EX0-{n:03d}"), name=fields.pop("name", f"Exam {n}"),
                    vendor="CompTIA", id_prefix=fields.pop("id_prefix", f"e{n}"), question_count=90,
                    duration_minutes=90, passing_score=750, is_active=is_active, **fields)
        for d_position, raw in enumerate(domains or DEMO_DOMAINS):
            domain = Domain(number=raw["number"], name=raw["name"], weight_percent=raw["weight_percent"],
                            position=d_position)
            exam.domains.append(domain)
            for o_position, objective in enumerate(raw["objectives"]):
                domain.objectives.append(Objective(exam=exam, code=objective["code"], title=objective["title"],
                                                   position=o_position))
        db.session.add(exam)
        db.session.commit()
        db.session.refresh(exam)
        db.session.expunge(exam)
    return exam


def gen_question(app, exam: Exam, objective: str = "1.1", is_active: bool = True, **fields) -> Question:
    """A saved single-answer question with four choices under `exam`'s objective `objective`."""
    n = next(_counter)
    with app.app_context():
        found = db.session.scalars(
            sa.select(Objective).where(Objective.exam_id == exam.id, Objective.code == objective)).one()
        question = Question(exam_id=exam.id, objective=found, external_id=fields.pop("external_id", f"q-{n}"),
                            type="single", select_count=1, difficulty=2,
                            stem=fields.pop("stem", f"Question {n}?"), explanation="Because.",
                            is_active=is_active, **fields)
        question.choices = [Choice(position=i, text=f"Choice {i}", is_correct=i == 0, rationale="Reason.")
                            for i in range(4)]
        db.session.add(question)
        db.session.commit()
        db.session.refresh(question)
        db.session.expunge(question)
    return question


def gen_multiple_question(app, exam: Exam, objective: str = "2.1", select_count: int = 2, **fields) -> Question:
    """A saved multiple-answer question: five choices, the first `select_count` correct."""
    n = next(_counter)
    with app.app_context():
        found = db.session.scalars(
            sa.select(Objective).where(Objective.exam_id == exam.id, Objective.code == objective)).one()
        question = Question(exam_id=exam.id, objective=found, external_id=fields.pop("external_id", f"m-{n}"),
                            type="multiple", select_count=select_count, difficulty=2,
                            stem=fields.pop("stem", f"Multiple {n}? (Choose {select_count}.)"),
                            explanation="Because.", **fields)
        question.choices = [Choice(position=i, text=f"Option {i}", is_correct=i < select_count, rationale="Reason.")
                            for i in range(5)]
        db.session.add(question)
        db.session.commit()
        db.session.refresh(question)
        db.session.expunge(question)
    return question


def gen_ordering_question(app, exam: Exam, objective: str = "1.1", count: int = 4, **fields) -> Question:
    """A saved ordering question: `count` steps whose correct order is Step 1, Step 2, ..."""
    n = next(_counter)
    with app.app_context():
        found = db.session.scalars(
            sa.select(Objective).where(Objective.exam_id == exam.id, Objective.code == objective)).one()
        question = Question(exam_id=exam.id, objective=found, external_id=fields.pop("external_id", f"o-{n}"),
                            type="ordering", select_count=1, difficulty=2,
                            stem=fields.pop("stem", f"Put the steps of case {n} in order."),
                            explanation="Each step needs the one before.", **fields)
        question.choices = [Choice(position=i, text=f"Step {i + 1}", rationale=f"Step {i + 1} comes at place {i + 1}.")
                            for i in range(count)]
        db.session.add(question)
        db.session.commit()
        db.session.refresh(question)
        db.session.expunge(question)
    return question


def gen_matching_question(app, exam: Exam, objective: str = "2.1", reuse_targets: bool = False,
                          **fields) -> Question:
    """A saved matching question: SSH, HTTPS and SNMP to TCP 22, TCP 443 and UDP 161 (targets 0, 1, 4)."""
    n = next(_counter)
    with app.app_context():
        found = db.session.scalars(
            sa.select(Objective).where(Objective.exam_id == exam.id, Objective.code == objective)).one()
        question = Question(exam_id=exam.id, objective=found, external_id=fields.pop("external_id", f"x-{n}"),
                            type="matching", select_count=1, difficulty=2,
                            stem=fields.pop("stem", f"Match each service of case {n} to its default port."),
                            explanation="Well-known ports.", reuse_targets=reuse_targets,
                            targets=["TCP 22", "TCP 443", "UDP 53", "TCP 25", "UDP 161"], **fields)
        question.choices = [Choice(position=i, text=text, target=target, rationale=f"{text} uses target {target}.")
                            for i, (text, target) in enumerate([("SSH", 0), ("HTTPS", 1), ("SNMP agent", 4)])]
        db.session.add(question)
        db.session.commit()
        db.session.refresh(question)
        db.session.expunge(question)
    return question


def pbq_key(question_id: int) -> dict:
    """The correct order or matches of an ordering or matching question; call inside an app context."""
    question = db.session.get(Question, question_id)
    if question.type == "ordering":
        return {"order": [item.id for item in question.choices]}
    return {"matches": {str(item.id): item.target for item in question.choices}}


def gen_bank(app, per_objective: int = 4, slug: str = "demo", multiple_per_objective: int = 0,
             pbq_per_objective: int = 0, domains: list[dict] | None = None, **exam_fields) -> Exam:
    """An exam on the demo blueprint (or `domains`) with `per_objective` single questions in every
    objective (and `pbq_per_objective` ordering and matching questions, alternating)."""
    exam = gen_exam(app, slug=slug, domains=domains, **exam_fields)
    for raw in domains or DEMO_DOMAINS:
        for objective in raw["objectives"]:
            for _ in range(per_objective):
                gen_question(app, exam, objective=objective["code"])
            for _ in range(multiple_per_objective):
                gen_multiple_question(app, exam, objective=objective["code"])
            for index in range(pbq_per_objective):
                maker = gen_ordering_question if index % 2 == 0 else gen_matching_question
                maker(app, exam, objective=objective["code"])
    return exam


def choice_ids(question_id: int, correct: bool = True) -> list[int]:
    """Ids of a question's correct (or wrong) choices; call inside an app context."""
    return list(db.session.scalars(sa.select(Choice.id).where(Choice.question_id == question_id,
                                                            Choice.is_correct.is_(correct))
                                   .order_by(Choice.position)))


def gen_bookmark(app, user: User, question: Question, tags: list[str] | tuple[str, ...] | None = None,
                 notes: str | None = None, created_at=None) -> None:
    """A saved bookmark of `question` by `user` through the bookmark service, with tags and a note
    when given (and a forced `created_at`, to order a list)."""
    from webapp.bookmarks import services as bookmarks
    from webapp.models import QuestionBookmark

    with app.app_context():
        bookmarks.add_bookmark(db.session.get(User, user.id), question.id,
                               bookmarks.UNCHANGED if notes is None else notes,
                               list(tags) if tags is not None else None)
        if created_at is not None:
            db.session.get(QuestionBookmark, (user.id, question.id)).created_at = created_at
            db.session.commit()


def gen_note(app, user: User, question: Question, body: str = "Remember the port numbers.", updated_at=None) -> None:
    """A saved private note of `user` on `question` through the note service (and a forced `updated_at`)."""
    from webapp.bookmarks import services as bookmarks
    from webapp.models import QuestionNote

    with app.app_context():
        bookmarks.set_note(db.session.get(User, user.id), question.id, body)
        if updated_at is not None:
            db.session.get(QuestionNote, (user.id, question.id)).updated_at = updated_at
            db.session.commit()


def gen_answer(app, user: User, question: Question, correct: bool = True) -> None:
    """`user` has answered `question` in a completed one-question practice quiz (its `answers`
    row is what opens the question's key to them)."""
    from webapp.models import Answer, AttemptStatus, QuizAttempt, QuizMode
    from webapp.models.base import utcnow

    with app.app_context():
        fresh = db.session.get(Question, question.id)
        attempt = QuizAttempt(user_id=user.id, exam_id=fresh.exam_id, mode=QuizMode.PRACTICE.value,
                              status=AttemptStatus.COMPLETED.value, question_count=1, finished_at=utcnow())
        db.session.add(attempt)
        db.session.flush()
        db.session.add(Answer(user_id=user.id, attempt_id=attempt.id, question_id=fresh.id, exam_id=fresh.exam_id,
                              objective_id=fresh.objective_id, mode=QuizMode.PRACTICE.value, is_correct=correct))
        db.session.commit()


def gen_study_answer(app, user: User, question: Question, is_correct: bool, answered_at=None) -> int:
    """One study-mode `answers` row (attempt_id NULL) in its own finished study session, as the
    study service writes it; returns the answer's id."""
    when = answered_at or utcnow()
    with app.app_context():
        session = StudySession(user_id=user.id, exam_id=question.exam_id, question_count=1, created_at=when,
                               last_activity_at=when, finished_at=when)
        db.session.add(session)
        db.session.flush()
        answer = Answer(user_id=user.id, study_session_id=session.id, question_id=question.id,
                        exam_id=question.exam_id, objective_id=question.objective_id, mode=QuizMode.STUDY.value,
                        is_correct=is_correct, answered_at=when)
        db.session.add(answer)
        db.session.commit()
        return answer.id


# Issue 12, the triage queue: reports and item statistics written straight to the schema.

def gen_feedback(app, user: User | None, question: Question, feedback_type=None, comment: str | None = "It is wrong.",
                 status=None, created_at=None, **fields) -> int:
    """A saved report on `question` by `user` (None: a deleted account), then the question's flags
    recounted (`refresh_flags`); returns the report's id. `feedback_type` and `status` take the
    enums or their values; "incorrect" and pending by default."""
    from webapp.feedback.services import refresh_flags
    from webapp.models import FeedbackStatus, FeedbackType, QuestionFeedback

    with app.app_context():
        when = created_at or utcnow()
        report = QuestionFeedback(user_id=user.id if user else None, question_id=question.id,
                                  feedback_type=FeedbackType(feedback_type or FeedbackType.INCORRECT).value, comment=comment,
                                  status=FeedbackStatus(status or FeedbackStatus.PENDING).value,
                                  created_at=when, updated_at=when, **fields)
        db.session.add(report)
        db.session.flush()
        refresh_flags(question.id)
        db.session.commit()
        return report.id


def gen_question_stats(app, question: Question, **fields) -> None:
    """A saved `question_stats` row for `question` (100 responses, unsuspicious, unless given)."""
    from webapp.models import QuestionStats

    values = {"responses": 100, "facility": 60.0, "discrimination": 0.3, "top_group": 27, "bottom_group": 27,
              "median_seconds": 40.0, "is_suspect": False, "suspect_reasons": [], "suspicion_score": 0.0, **fields}
    with app.app_context():
        db.session.merge(QuestionStats(question_id=question.id, **values))
        db.session.commit()


def gen_report(app, user: User, question: Question, feedback_type: str = "typo", comment: str | None = "A typo.") -> int:
    """A report of `question` by `user` through the feedback service; returns the report's id."""
    from webapp.feedback import services as feedback

    with app.app_context():
        report, _created = feedback.file_report(db.session.get(User, user.id), question.id, feedback_type, comment)
        return report.id


# Item statistics (issue 12)

def gen_scored_attempt(app, user: User, exam: Exam, items: list[dict], mode: str = QuizMode.PRACTICE.value,
                       status: str | None = None, finished_at=None) -> int:
    """A quiz attempt of `user` holding `items` in order, each `{"question_id", "selected"
    (choice ids), "correct", "seconds", "response" (ordering/matching)}`; completed unless
    `status` says otherwise; returns its id. Only `attempt_questions` rows: what item statistics read."""
    from webapp.models import AttemptQuestion, AttemptStatus, QuizAttempt

    status = status or AttemptStatus.COMPLETED.value
    when = finished_at or utcnow()
    done = status != AttemptStatus.IN_PROGRESS.value
    with app.app_context():
        attempt = QuizAttempt(user_id=user.id, exam_id=exam.id, mode=mode, status=status, question_count=len(items),
                              started_at=when, last_activity_at=when, finished_at=when if done else None)
        attempt.questions = [
            AttemptQuestion(question_id=item["question_id"], position=position, choice_order=[],
                            selected_choice_ids=list(item.get("selected") or []), response=item.get("response"),
                            answered_at=when, time_spent_ms=int(1000 * item.get("seconds", 30)),
                            is_correct=bool(item.get("correct")) if done else None)
            for position, item in enumerate(items)]
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


def gen_scored_quiz(app, user: User, questions: list[Question], correct: int, finished_at=None,
                    mode: str = QuizMode.PRACTICE.value) -> int:
    """A completed practice quiz (or simulation) on `questions`, as submit stores it: the result
    row (score = correct / total) and one `answers` row per question, the first `correct` right,
    all at `finished_at`. Returns the attempt id."""
    from webapp.models import AttemptResult, AttemptStatus, QuizAttempt

    when = finished_at or utcnow()
    total = len(questions)
    with app.app_context():
        attempt = QuizAttempt(user_id=user.id, exam_id=questions[0].exam_id, mode=mode,
                              status=AttemptStatus.COMPLETED.value, question_count=total, started_at=when,
                              last_activity_at=when, finished_at=when)
        db.session.add(attempt)
        db.session.flush()
        db.session.add(AttemptResult(attempt_id=attempt.id, user_id=user.id, correct=correct, total=total,
                                     score_percent=100.0 * correct / total, time_used_seconds=60 * total,
                                     answered=total, body={}, created_at=when))
        for position, question in enumerate(questions):
            db.session.add(Answer(user_id=user.id, attempt_id=attempt.id, question_id=question.id,
                                  exam_id=question.exam_id, objective_id=question.objective_id, mode=mode,
                                  is_correct=position < correct, answered_at=when))
        db.session.commit()
        return attempt.id


def gen_study_answers(app, user: User, question: Question, outcomes: list[bool], answered_at=None) -> None:
    """Study-mode `answers` rows on `question`, one finished study session each (as gen_study_answer),
    right or wrong as `outcomes` says, all at `answered_at`."""
    when = answered_at or utcnow()
    with app.app_context():
        for is_correct in outcomes:
            session = StudySession(user_id=user.id, exam_id=question.exam_id, question_count=1, created_at=when,
                                   last_activity_at=when, finished_at=when)
            db.session.add(session)
            db.session.flush()
            db.session.add(Answer(user_id=user.id, study_session_id=session.id, question_id=question.id,
                                  exam_id=question.exam_id, objective_id=question.objective_id,
                                  mode=QuizMode.STUDY.value, is_correct=is_correct, answered_at=when))
        db.session.commit()


# Issue 15, pacing and the confidence lists: timed and rated answers written straight to the schema.

def gen_timed_answers(app, user: User, rows: list[dict]) -> None:
    """Study-mode `answers` rows, one finished study session each: every row is `{"question",
    "seconds", "correct" (default True), "confidence" (default None), "answered_at" (default now)}`."""
    with app.app_context():
        for row in rows:
            question, when = row["question"], row.get("answered_at") or utcnow()
            session = StudySession(user_id=user.id, exam_id=question.exam_id, question_count=1, created_at=when,
                                   last_activity_at=when, finished_at=when)
            db.session.add(session)
            db.session.flush()
            db.session.add(Answer(user_id=user.id, study_session_id=session.id, question_id=question.id,
                                  exam_id=question.exam_id, objective_id=question.objective_id,
                                  mode=QuizMode.STUDY.value, is_correct=row.get("correct", True),
                                  confidence=row.get("confidence"), time_spent_seconds=row["seconds"],
                                  answered_at=when))
        db.session.commit()


def gen_timed_quiz(app, user: User, items: list[dict], mode: str = QuizMode.PRACTICE.value,
                   time_limit_seconds: int | None = None, question_count: int | None = None,
                   finished_at=None) -> int:
    """A completed quiz (or simulation) as scoring leaves it: its `attempt_questions`, its `answers`
    and its result row. Each item is `{"question", "seconds", "correct" (default True),
    "confidence" (default None), "answered" (default True)}`; `question_count` defaults to the
    items (a simulation's 90 may hold fewer rows here). Returns the attempt id."""
    from webapp.models import AttemptQuestion, AttemptResult, AttemptStatus, QuizAttempt

    when = finished_at or utcnow()
    with app.app_context():
        attempt = QuizAttempt(user_id=user.id, exam_id=items[0]["question"].exam_id, mode=mode,
                              status=AttemptStatus.COMPLETED.value, question_count=question_count or len(items),
                              timed=time_limit_seconds is not None, time_limit_seconds=time_limit_seconds,
                              started_at=when, last_activity_at=when, finished_at=when)
        db.session.add(attempt)
        db.session.flush()
        correct = sum(1 for item in items if item.get("correct", True))
        db.session.add(AttemptResult(attempt_id=attempt.id, user_id=user.id, correct=correct, total=len(items),
                                     score_percent=100.0 * correct / len(items), time_used_seconds=0,
                                     answered=sum(1 for item in items if item.get("answered", True)), body={},
                                     created_at=when))
        for position, item in enumerate(items):
            question, right = item["question"], item.get("correct", True)
            db.session.add(AttemptQuestion(attempt_id=attempt.id, question_id=question.id, position=position,
                                           choice_order=[], selected_choice_ids=[], answered_at=when,
                                           time_spent_ms=1000 * item["seconds"], is_correct=right,
                                           confidence=item.get("confidence")))
            db.session.add(Answer(user_id=user.id, attempt_id=attempt.id, question_id=question.id,
                                  exam_id=question.exam_id, objective_id=question.objective_id, mode=mode,
                                  is_correct=right, confidence=item.get("confidence"),
                                  time_spent_seconds=item["seconds"], answered_at=when))
        db.session.commit()
        return attempt.id


def gen_learning_rows(app, user: User) -> None:
    """Rebuild `user`'s review cards and mastery rows from their `answers` (the factories above
    write answers without the engine, as a bulk import would)."""
    from webapp.learning.services import rebuild

    with app.app_context():
        rebuild(user_ids=[user.id])
        db.session.commit()

"""Study mode: untimed sessions over one exam, each answer checked and explained at once.

Rules written once here serve the HTML views and the JSON API alike:

- A session draws like a practice quiz (`webapp.quiz.sources`: the same sources, the same
  shrink-to-fit notice, `all` keeps the 400 on `count`), QUIZ_MIN_COUNT to QUIZ_MAX_COUNT
  questions, choices shuffled once. One open session per learner (the partial unique index
  uq_study_sessions_one_open), alongside at most one quiz in progress.
- The key, the explanation, the rationales and the reference of a question leave the server
  only once the learner has answered it, or skipped it and asked for the answer
  (`StudyQuestion.shows_explanation`). `feedback_for` is the one place that builds them.
- An answer passes the quiz's checks (`checked_answer`, complete answers only) and the quiz's
  scoring rule (`is_right`). It is stored once: a second answer returns the first result. It
  writes its `answers` row (mode study) at once, which reviews its spaced-review card and
  updates the objective's mastery (webapp/learning), the gamification service counts the day
  towards the streak, and the goals service checks whether the day's goals are met. Nothing
  reaches quiz_attempts, XP or the quiz achievements.
- Skipping is not answering: no `answers` row. A skipped question may still be answered as long
  as its answer has not been shown; once shown, it stays unanswered for good.
- No timer, but each action credits the time since the previous one (capped at
  QUIZ_MAX_SECONDS_PER_ACTION) to the question the learner was on, for pacing figures.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from webapp.database import commit_keeping_loaded
from webapp.exceptions import Conflict, NotFound, ValidationError
from webapp.extensions import db
from webapp.gamification.services import record_study_answer
from webapp.goals.services import record_goal_progress
from webapp.learning.services import fact_of, record_answers
from webapp.models import (Answer, AttemptQuestion, Choice, Confidence, Question, QuizMode, StudyQuestion, StudySession,
                           User)
from webapp.models.base import utcnow
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.quiz.services import (QuizRequest, ReviewItem, checked_answer, draw_questions, is_right, live_review_item,
                                  open_quiz_question_ids, plan_quiz, shown_choices)
from webapp.rate_limits import KeyedLimit

logger = logging.getLogger(__name__)


class StudyInProgress(Conflict):
    code = "STUDY_IN_PROGRESS"
    message = "You already have a study session open. Resume it or end it first."

    def __init__(self, session_id: int) -> None:
        super().__init__(extra={"study_session_id": session_id})
        self.session_id = session_id


class StudyClosed(Conflict):
    code = "STUDY_CLOSED"
    message = "This study session has ended."


class AnswerShown(Conflict):
    code = "ANSWER_SHOWN"
    message = "The answer to this question has been shown, so it can no longer be answered."


class InOpenQuiz(Conflict):
    """Study must not show the key of a question the learner is answering in a quiz right now."""

    code = "QUESTION_IN_OPEN_QUIZ"
    message = ("This question is also in your quiz in progress. Submit or abandon the quiz first; "
               "then its answer can be shown here.")


class NotInSession(ValidationError):
    code = "NOT_IN_SESSION"
    message = "That question is not part of this study session."

    def __init__(self) -> None:
        super().__init__(field="question_id")


@dataclass(frozen=True)
class StudyRequest:
    """What a learner asked for: an exam, a count (default QUIZ_DEFAULT_COUNT), objectives and a source."""

    exam_slug: str
    count: int | None = None
    objective_codes: list[str] | None = None
    source: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Progress:
    """Where a session stands: the figures of the progress line and of the summary."""

    total: int
    viewed: int
    answered: int
    correct: int
    skipped: int
    time_spent_seconds: int

    @property
    def wrong(self) -> int:
        return self.answered - self.correct


@dataclass(frozen=True)
class Feedback:
    """A question's explanation as shown once it is answered or its answer shown: the review item
    the quiz review renders (key, rationales, explanation), the verdict (None when the answer was
    shown without one), the confidence given and the reference."""

    sq: StudyQuestion
    item: ReviewItem

    @property
    def is_correct(self) -> bool | None:
        return self.sq.is_correct if self.sq.is_answered else None

    @property
    def reference(self) -> str | None:
        return self.sq.question.reference


@dataclass(frozen=True)
class Draft:
    """The answer form as shown: the choices ticked, the ordering items in their order and the
    matches; a refused check shows the learner's answer again instead of a fresh shuffle."""

    selected: list[int]
    items: list[Choice]
    matches: dict[str, int | None]
    confidence: str | None = None


def _cfg(key: str) -> int:
    return int(current_app.config[key])


def open_session(user: User) -> StudySession | None:
    """The learner's open study session, if any."""
    return db.session.scalar(sa.select(StudySession).where(StudySession.user_id == user.id,
                                                           StudySession.finished_at.is_(None)))


def start_session(user: User, request: StudyRequest, now: datetime | None = None, rng: random.Random | None = None,
                  end_open: bool = False) -> StudySession:
    """Draw questions and open a session. Raises StudyInProgress (unless `end_open`, which ends the
    open one first), ValidationError (count, objectives, source, tag, an empty source) and
    RateLimited (more than STUDY_START_RATE_LIMIT starts per learner, browser and API together).
    The returned session carries `notice` when the source held fewer questions than asked."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    # The same checks and the same draw as a practice quiz (and the draw preview); an invalid
    # request is its 400 before an open session is its 409, as for quizzes.
    plan = plan_quiz(user, QuizRequest(request.exam_slug, mode=QuizMode.STUDY, count=request.count,
                                       objective_codes=request.objective_codes, source=request.source,
                                       tag=request.tag), modes=(QuizMode.STUDY,))
    exam, choice, objectives = plan.exam, plan.choice, plan.objectives
    current = open_session(user)
    if current is not None and not end_open:
        raise StudyInProgress(current.id)

    KeyedLimit("study-start", current_app.config["STUDY_START_RATE_LIMIT"]).check(
        str(user.id), message="You have started too many study sessions in the last hour. Wait a while and try again.")
    draw = draw_questions(user, plan, rng)
    choice_ids = defaultdict(list)
    for qid, cid in db.session.execute(sa.select(Choice.question_id, Choice.id)
                                       .where(Choice.question_id.in_(draw.question_ids))):
        choice_ids[qid].append(cid)
    if current is not None:  # "End it and start the new one": both in this one transaction
        _close(current, now)
    session = StudySession(user_id=user.id, exam_id=exam.id, source=choice.source.value, source_tag=choice.tag,
                           objective_codes=sorted(o.code for o in objectives) or None,
                           question_count=len(draw.question_ids), created_at=now, last_activity_at=now)
    rows = []
    for position, qid in enumerate(draw.question_ids):
        order = list(choice_ids[qid])
        rng.shuffle(order)
        rows.append({"question_id": qid, "position": position, "choice_order": order, "time_spent_ms": 0})
    db.session.add(session)
    try:
        db.session.flush()
        db.session.execute(sa.insert(StudyQuestion), [{**row, "session_id": session.id} for row in rows])
        db.session.commit()
    except sa.exc.IntegrityError as exc:  # a concurrent start won the one-open index
        db.session.rollback()
        current = open_session(user)
        if current is not None:
            raise StudyInProgress(current.id) from exc
        raise
    logger.info("study started", extra={"study_session_id": session.id, "exam_type": exam.slug,
                                        "question_count": session.question_count, "source": session.source})
    # Not stored: the learner is told once, when the session starts, that the source held fewer.
    session.notice = draw.notice
    return session


def _refuse_if_in_open_quiz(user: User, question_id: int) -> None:
    """InOpenQuiz when the question is in the learner's quiz in progress: showing its key here would
    hand the quiz its answer (a session opened before the quiz may hold the same question)."""
    if question_id in open_quiz_question_ids(user):
        raise InOpenQuiz()


def get_session(user: User, session_id: int) -> StudySession:
    """The learner's session (404 for anyone else's)."""
    session = db.session.get(StudySession, session_id)
    if session is None or session.user_id != user.id:
        raise NotFound("No such study session.")
    return session


def with_questions(session: StudySession) -> StudySession:
    """The session with its questions, their choices, objectives and exam loaded in a few queries."""
    question = selectinload(StudySession.questions).selectinload(StudyQuestion.question)
    return db.session.scalars(
        sa.select(StudySession).where(StudySession.id == session.id)
        .options(question.selectinload(Question.choices), question.selectinload(Question.objective),
                 question.selectinload(Question.exam))
        .execution_options(populate_existing=True)).one()


def question_at(session: StudySession, position: int) -> StudyQuestion:
    if not 0 <= position < len(session.questions):
        raise NotFound("That question is not part of this study session.")
    return session.questions[position]


def session_question(session: StudySession, position: int) -> StudyQuestion:
    """The question at `position` with what its screen shows (choices, objective, exam), freshly
    read; NotFound outside the session. A question screen loads this one question, not all of
    them: with_questions on a 90-question session builds over a thousand objects."""
    question = joinedload(StudyQuestion.question, innerjoin=True)
    sq = db.session.scalar(
        sa.select(StudyQuestion).where(StudyQuestion.session_id == session.id, StudyQuestion.position == position)
        .options(question.joinedload(Question.objective, innerjoin=True),
                 question.joinedload(Question.exam, innerjoin=True), question.selectinload(Question.choices))
        .execution_options(populate_existing=True))
    if sq is None:
        raise NotFound("That question is not part of this study session.")
    return sq


def session_and_question(user: User, session_id: int, position: int) -> tuple[StudySession, StudyQuestion | None]:
    """The learner's session (NotFound for anyone else's) and its question at `position` with what
    its screen and its check need (choices, objective, exam), both freshly read in one statement;
    the question is None when `position` is outside the session. An answer POST reads this once:
    `answer_question(loaded=...)` then finds the session in the identity map."""
    question = joinedload(StudyQuestion.question, innerjoin=True)
    sq = db.session.scalars(
        sa.select(StudyQuestion).join(StudySession, StudySession.id == StudyQuestion.session_id)
        .where(StudyQuestion.session_id == session_id, StudyQuestion.position == position,
               StudySession.user_id == user.id)
        .options(contains_eager(StudyQuestion.session), question.joinedload(Question.objective, innerjoin=True),
                 question.joinedload(Question.exam, innerjoin=True), question.joinedload(Question.choices))
        .execution_options(populate_existing=True)).unique().one_or_none()
    if sq is None:
        return get_session(user, session_id), None
    return sq.session, sq


def _open_session(user: User, session_id: int) -> StudySession:
    session = get_session(user, session_id)
    if not session.is_open:
        raise StudyClosed()
    return session


def _question_for(session: StudySession, question_id: int) -> StudyQuestion:
    """One question of the session (a 400 on `question_id` for any other question)."""
    sq = db.session.scalar(sa.select(StudyQuestion)
                           .where(StudyQuestion.session_id == session.id, StudyQuestion.question_id == question_id)
                           .options(joinedload(StudyQuestion.question, innerjoin=True).selectinload(Question.choices)))
    if sq is None:
        raise NotInSession()
    return sq


def _current_question(session: StudySession) -> StudyQuestion | None:
    return db.session.scalar(sa.select(StudyQuestion).where(StudyQuestion.session_id == session.id,
                                                            StudyQuestion.position == session.current_position))


def _credit_time(session: StudySession, sq: StudyQuestion | None, now: datetime) -> None:
    """Add the time since the learner's last action to `sq` (capped per action, as in quizzes)."""
    if sq is not None:
        elapsed = (now - session.last_activity_at).total_seconds()
        sq.time_spent_ms += int(max(0.0, min(elapsed, _cfg("QUIZ_MAX_SECONDS_PER_ACTION"))) * 1000)
    session.last_activity_at = now


def _viewed(session: StudySession, sq: StudyQuestion, now: datetime) -> None:
    if sq.viewed_at is None:
        sq.viewed_at = now
    session.current_position = sq.position


def _refresh_totals(session: StudySession) -> None:
    """`questions_viewed` and `time_spent_seconds` from the session's questions (counted, not
    incremented, so two requests at once cannot lose an update for good). The same count gives
    the progress line, kept for `counted_progress` in this request."""
    db.session.flush()
    counts = _counts([session.id]).get(session.id, _NO_QUESTIONS)
    session.questions_viewed = counts.viewed
    session.time_spent_seconds = counts.spent_ms // 1000
    session.counted = _progress(session, counts)


def visit_question(user: User, session_id: int, position: int, now: datetime | None = None) -> StudyQuestion:
    """The learner is looking at `position`: it counts as viewed, and the time since the last
    action goes to the question they were on before."""
    now = now or utcnow()
    session = get_session(user, session_id)
    sq = session_question(session, position)
    if session.is_open and (sq.viewed_at is None or session.current_position != position):
        if session.current_position != position:
            _credit_time(session, _current_question(session), now)
        _viewed(session, sq, now)
        _refresh_totals(session)
        db.session.commit()
    return sq


def _confidence(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in set(Confidence):
        raise ValidationError(f"Confidence must be one of {', '.join(Confidence)}.", field="confidence")
    return Confidence(value).value


def answer_question(user: User, session_id: int, question_id: int, choice_ids: list | None = None,
                    order: list | None = None, matches: dict | None = None, confidence: str | None = None,
                    now: datetime | None = None, loaded: StudyQuestion | None = None) -> Feedback:
    """Check and store the answer to one question and return its feedback.

    A complete answer only (exactly `select_count` choices, every item ordered, every item
    matched). A question already answered returns its first result unchanged, whatever is sent;
    one whose answer was shown is AnswerShown (409); a finished session is StudyClosed (409).
    `loaded`: the question as the caller has just read it (`session_question`), so it is not read twice."""
    now = now or utcnow()
    session = _open_session(user, session_id)
    if loaded is not None and (loaded.session_id, loaded.question_id) == (session.id, question_id):
        sq = loaded
    else:
        sq = _question_for(session, question_id)
    if sq.is_answered:
        return feedback_for(sq)
    if sq.revealed_at is not None:
        raise AnswerShown()
    _refuse_if_in_open_quiz(user, question_id)
    rating = _confidence(confidence)
    question = sq.question
    answer = checked_answer(question, sq.choice_order, choice_ids, order, matches, final=True)
    correct = is_right(question.type, answer, {c.id for c in question.choices if c.is_correct},
                       question.pbq_key if question.is_pbq else None)
    _credit_time(session, sq, now)
    _viewed(session, sq, now)
    sq.response, sq.is_correct, sq.confidence, sq.answered_at = answer, correct, rating, now
    stored = Answer(user_id=user.id, study_session_id=session.id, attempt_id=None, question_id=question.id,
                    exam_id=session.exam_id, objective_id=question.objective_id, mode=QuizMode.STUDY.value,
                    is_correct=correct, confidence=rating, time_spent_seconds=sq.time_spent_ms // 1000,
                    answered_at=now)
    db.session.add(stored)
    try:
        db.session.flush()
        record_answers(user.id, session.exam_id, [fact_of(stored)])
        record_study_answer(user.id, now, source=f"study:{session.id}")
        record_goal_progress(user.id, now)
        _refresh_totals(session)
        commit_keeping_loaded()
    except sa.exc.IntegrityError:  # the same answer sent twice at once: the first one stands
        db.session.rollback()
        sq = _question_for(get_session(user, session_id), question_id)
        if not sq.is_answered:
            raise
    return feedback_for(sq)


def skip_question(user: User, session_id: int, question_id: int, now: datetime | None = None) -> StudyQuestion:
    """Skip a question: it counts as not answered and writes no `answers` row. Skipping an answered
    or already skipped question changes nothing."""
    now = now or utcnow()
    session = _open_session(user, session_id)
    sq = _question_for(session, question_id)
    if not sq.is_answered and sq.skipped_at is None:
        _credit_time(session, sq, now)
        _viewed(session, sq, now)
        sq.skipped_at = now
        _refresh_totals(session)
        db.session.commit()
    return sq


def reveal_answer(user: User, session_id: int, question_id: int, now: datetime | None = None) -> Feedback:
    """"Show answer": the feedback of a question without answering it. The question counts as
    skipped and can no longer be answered. An answered question returns its feedback as it is."""
    now = now or utcnow()
    session = _open_session(user, session_id)
    sq = _question_for(session, question_id)
    if not sq.shows_explanation:
        _refuse_if_in_open_quiz(user, question_id)
        _credit_time(session, sq, now)
        _viewed(session, sq, now)
        sq.skipped_at = sq.skipped_at or now
        sq.revealed_at = now
        _refresh_totals(session)
        db.session.commit()
    return feedback_for(sq)


def feedback_for(sq: StudyQuestion) -> Feedback | None:
    """The feedback of an answered or revealed question; None while the question may not show it.

    Built as a quiz review item (the key in the order the learner saw the choices, each item's
    verdict and rationale), so the page reuses the review's markup and the API its entry."""
    if not sq.shows_explanation:
        return None
    response = sq.response if sq.is_answered else None
    return Feedback(sq, live_review_item(sq.position, sq.question, shown_choices(sq), response, bool(sq.is_correct)))


def draft_of(sq: StudyQuestion, answer: dict | None = None, confidence: str | None = None) -> Draft:
    """The answer form's state: the choices and matches of `answer` (a refused check, shown
    again), else nothing chosen. Ordering items always keep the session's shuffled order: the
    form's place menus are read against it."""
    answer = answer or {}
    by_id = {c.id: c for c in sq.question.choices}
    matches = {str(item): (answer.get("matches") or {}).get(str(item)) for item in sq.choice_order}
    return Draft(selected=list(answer.get("choice_ids") or []),
                 items=[by_id[item] for item in sq.choice_order if item in by_id],
                 matches=matches, confidence=confidence if confidence in set(Confidence) else None)


def progress(session: StudySession) -> Progress:
    """The session's figures from its loaded questions."""
    questions = session.questions
    answered = [sq for sq in questions if sq.is_answered]
    return Progress(total=len(questions), viewed=sum(1 for sq in questions if sq.viewed_at is not None),
                    answered=len(answered), correct=sum(1 for sq in answered if sq.is_correct),
                    skipped=sum(1 for sq in questions if sq.skipped_at is not None and not sq.is_answered),
                    time_spent_seconds=session.time_spent_seconds)


def counted_progress(session: StudySession) -> Progress:
    """`progress` counted in the database, for a screen that has not loaded every question (the
    count this request's write has just made, when it made one)."""
    return getattr(session, "counted", None) or progress_for([session])[session.id]


@dataclass(frozen=True)
class _Counts:
    total: int
    answered: int
    correct: int
    skipped: int
    viewed: int
    spent_ms: int


_NO_QUESTIONS = _Counts(0, 0, 0, 0, 0, 0)


def _counts(session_ids: list[int]) -> dict[int, _Counts]:
    """Per session: its questions, answered, right, skipped (not answered), viewed, and the time spent."""
    rows = db.session.execute(
        sa.select(StudyQuestion.session_id, sa.func.count(StudyQuestion.id),
                  sa.func.count(StudyQuestion.answered_at),
                  sa.func.count(StudyQuestion.id).filter(StudyQuestion.is_correct.is_(True)),
                  sa.func.count(StudyQuestion.id).filter(StudyQuestion.skipped_at.is_not(None),
                                                         StudyQuestion.answered_at.is_(None)),
                  sa.func.count(StudyQuestion.viewed_at), sa.func.coalesce(sa.func.sum(StudyQuestion.time_spent_ms), 0))
        .where(StudyQuestion.session_id.in_(session_ids)).group_by(StudyQuestion.session_id))
    return {session_id: _Counts(*(int(n) for n in figures)) for session_id, *figures in rows}


def _progress(session: StudySession, counts: _Counts) -> Progress:
    return Progress(counts.total, session.questions_viewed, counts.answered, counts.correct, counts.skipped,
                    session.time_spent_seconds)


def progress_for(sessions: list[StudySession]) -> dict[int, Progress]:
    """The figures of several sessions (a history page) in one grouped query."""
    if not sessions:
        return {}
    counts = _counts([s.id for s in sessions])
    return {session.id: _progress(session, counts.get(session.id, _NO_QUESTIONS)) for session in sessions}


def _close(session: StudySession, now: datetime) -> bool:
    """End an open session (the time since the last action goes to the question on screen);
    False when it had already ended. Flushes, the caller commits."""
    _credit_time(session, _current_question(session), now)
    _refresh_totals(session)
    closed = db.session.execute(sa.update(StudySession)
                                .where(StudySession.id == session.id, StudySession.finished_at.is_(None))
                                .values(finished_at=now, last_activity_at=now,
                                        time_spent_seconds=session.time_spent_seconds)
                                .execution_options(synchronize_session=False)).rowcount == 1
    db.session.flush()
    return closed


def finish_session(user: User, session_id: int, now: datetime | None = None) -> StudySession:
    """End the session (idempotent: finishing an ended session changes nothing) and return it."""
    now = now or utcnow()
    session = get_session(user, session_id)
    if session.is_open:
        if _close(session, now):
            db.session.commit()
            logger.info("study finished", extra={"study_session_id": session.id})
        else:
            db.session.rollback()
        db.session.refresh(session)
    return session


def list_sessions(user: User, page: int, per_page: int):
    """The learner's study sessions, newest first."""
    query = (sa.select(StudySession).where(StudySession.user_id == user.id)
             .order_by(StudySession.created_at.desc(), StudySession.id.desc()))
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)

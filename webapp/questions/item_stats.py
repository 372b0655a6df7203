"""Item statistics: how each question performs, from learners' first attempts at it.

`compute_item_stats()` (the `flask questions item-stats` command, run nightly) reads every
learner's first answer to every question in a scored mode, computes the facility index, the
discrimination (point-biserial correlation with the rest of the attempt), the choice counts
overall and in the top and bottom 27% of scorers, and the median time, marks questions that look
statistically wrong (a bad key, a trick question) and writes one `question_stats` row per
question. docs/ITEM_STATISTICS.md has the definitions and formulas; Moodle's quiz statistics
calculations are the reference.

Only the command-line tool and its benchmark call this module; the triage queue reads the rows.

Safe while the app serves: everything is read in one snapshot (a REPEATABLE READ transaction on
PostgreSQL, one read transaction on SQLite, where WAL lets writers go on), streamed in question
order so that only one question's responses are in memory at a time, and the rows are written
afterwards in one short transaction.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import AttemptQuestion, Choice, Question, QuestionStats, QuizAttempt
from webapp.models.base import utcnow
from webapp.models.enums import AttemptStatus, QuizMode

logger = logging.getLogger(__name__)

# A question is judged (marked suspect or not) only from this many first responses on.
MIN_RESPONSES = 30
# The top and bottom groups: this percentage of a question's responses each (Kelley's 27%).
GROUP_PERCENT = 27
# Facility index (percent correct) outside [FACILITY_LOW, FACILITY_HIGH] is suspect.
FACILITY_LOW = 20.0
FACILITY_HIGH = 95.0
# Discrimination below this is suspect: stronger learners get the item wrong more often.
DISCRIMINATION_FLOOR = 0.0
# Rows fetched per round trip from the server-side cursor.
STREAM_BATCH_ROWS = 5_000
# Ordering and matching items: their "choices" are the items to place (no choice is picked).
PBQ_TYPES = frozenset({"ordering", "matching"})


@dataclass(frozen=True)
class ItemStatsSummary:
    """What one run did: counts, and seconds per phase.

    `scores_seconds`: the bank and every attempt's score; `stream_seconds`: reading the first
    responses (the database's sort and the fetch) and `compute_seconds`: the statistics, which
    interleave with the stream; `write_seconds`: the upsert transaction."""

    questions: int
    responses: int
    suspects: int
    rows_read: int
    attempts: int
    scores_seconds: float
    stream_seconds: float
    compute_seconds: float
    write_seconds: float
    seconds: float

    def summary(self) -> str:
        return (f"Item statistics: {self.questions:,} questions, {self.responses:,} first responses, "
                f"{self.suspects:,} suspect, in {self.seconds:.1f}s")


@dataclass
class BankItem:
    """What the statistics need to know about a question: its type and its choices by position."""

    type: str
    choice_ids: list[int]
    correct_ids: list[int]
    targets: dict[int, int | None]  # matching: item id -> its correct target


@dataclass(slots=True)
class Response:
    """One learner's first answer to a question."""

    attempt_id: int
    score: int  # 1 correct, 0 wrong or unanswered
    attempt_fraction: float  # the whole attempt's score, correct / total, this item included
    rest: float | None  # the rest of the attempt, (correct - score) / (total - 1); None for 1-item attempts
    picked: tuple[int, ...]  # choice ids picked; for ordering/matching, the items placed correctly
    seconds: float


@dataclass
class ItemResult:
    """The statistics of one question, as written to `question_stats`."""

    question_id: int
    responses: int = 0
    facility: float | None = None
    discrimination: float | None = None
    choice_counts: dict[str, dict[str, int]] | None = None
    top_group: int = 0
    bottom_group: int = 0
    median_seconds: float | None = None
    suspect_reasons: list[str] = field(default_factory=list)
    suspicion_score: float = 0.0

    @property
    def is_suspect(self) -> bool:
        return bool(self.suspect_reasons)

    def row(self, computed_at: datetime) -> dict:
        return {"question_id": self.question_id, "responses": self.responses, "facility": self.facility,
                "discrimination": self.discrimination, "choice_counts": self.choice_counts,
                "top_group": self.top_group, "bottom_group": self.bottom_group,
                "median_seconds": self.median_seconds, "is_suspect": self.is_suspect,
                "suspect_reasons": self.suspect_reasons, "suspicion_score": self.suspicion_score,
                "computed_at": computed_at}


def compute_item_stats(now: datetime | None = None) -> ItemStatsSummary:
    """Recompute every question's statistics and upsert its `question_stats` row (commits)."""
    started = time.perf_counter()
    computed_at = now or utcnow()
    results: list[ItemResult] = []
    compute_seconds = 0.0
    counters = {"rows": 0}
    db.session.close()  # nothing of the caller's session may hold a lock across the long read
    with _snapshot() as conn:
        bank = _read_bank(conn)
        scores = _attempt_scores(conn)
        streaming = time.perf_counter()
        scores_seconds = streaming - started
        seen: set[int] = set()
        for question_id, rows in _first_responses(conn, counters):
            t = time.perf_counter()
            item = bank.get(question_id)
            if item is not None:
                decoded: dict[str | None, tuple[int, ...]] = {}
                responses = [_response(row, scores, item, decoded) for row in rows]
                results.append(item_result(question_id, item, responses))
                seen.add(question_id)
            compute_seconds += time.perf_counter() - t
        results.extend(ItemResult(question_id) for question_id in bank if question_id not in seen)
        stream_seconds = time.perf_counter() - streaming - compute_seconds

    t = time.perf_counter()
    _write(results, computed_at)
    write_seconds = time.perf_counter() - t
    summary = ItemStatsSummary(
        questions=len(results), responses=sum(r.responses for r in results),
        suspects=sum(r.is_suspect for r in results), rows_read=counters["rows"], attempts=len(scores),
        scores_seconds=scores_seconds, stream_seconds=stream_seconds, compute_seconds=compute_seconds,
        write_seconds=write_seconds,
        seconds=time.perf_counter() - started)
    logger.info("item statistics computed", extra={"questions": summary.questions, "responses": summary.responses,
                                                   "suspects": summary.suspects, "seconds": round(summary.seconds, 2)})
    return summary


@contextmanager
def _snapshot() -> Iterator[sa.Connection]:
    """A read-only connection that sees one consistent snapshot for all its statements."""
    engine = db.engine
    conn = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            conn.begin()
        else:
            # pysqlite opens transactions only before writes: BEGIN pins the WAL snapshot now.
            conn.exec_driver_sql("BEGIN")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _read_bank(conn: sa.Connection) -> dict[int, BankItem]:
    """Every question's type and choices (in the author's order), by question id."""
    bank = {qid: BankItem(qtype, [], [], {}) for qid, qtype in
            conn.execute(sa.select(Question.id, Question.type).order_by(Question.id))}
    for qid, cid, correct, target in conn.execute(
            sa.select(Choice.question_id, Choice.id, Choice.is_correct, Choice.target)
            .order_by(Choice.question_id, Choice.position)):
        item = bank.get(qid)
        if item is None:
            continue
        item.choice_ids.append(cid)
        if correct:
            item.correct_ids.append(cid)
        item.targets[cid] = target
    return bank


def _scored_attempts():
    """Completed attempts in a scored mode (practice quizzes and simulations; never study)."""
    return sa.and_(QuizAttempt.status == AttemptStatus.COMPLETED.value,
                   QuizAttempt.mode.in_([mode.value for mode in QuizMode.scored()]))


def _attempt_scores(conn: sa.Connection) -> dict[int, tuple[int, int]]:
    """(correct, total) of every completed scored attempt, from its questions as graded now
    (so a corrected key counts); an unanswered question is wrong."""
    correct = sa.func.sum(sa.case((AttemptQuestion.is_correct == sa.true(), 1), else_=0))
    query = (sa.select(AttemptQuestion.attempt_id, correct, sa.func.count())
             .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
             .where(_scored_attempts()).group_by(AttemptQuestion.attempt_id))
    return {attempt_id: (int(c or 0), int(n)) for attempt_id, c, n in conn.execute(query)}


def _first_responses(conn: sa.Connection, counters: dict) -> Iterator[tuple[int, list[tuple]]]:
    """(question id, its first responses' rows), one question at a time.

    Rows come in (question, submission time, attempt id) order, so a learner's first response is
    the first row of theirs met within the question; only one question's rows are held."""
    # The JSON columns come as text, decoded only for first responses (a third of the rows are not).
    query = (sa.select(AttemptQuestion.question_id, QuizAttempt.user_id, AttemptQuestion.attempt_id,
                       AttemptQuestion.is_correct, sa.cast(AttemptQuestion.selected_choice_ids, sa.Text),
                       sa.cast(AttemptQuestion.response, sa.Text), AttemptQuestion.time_spent_ms)
             .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
             .where(_scored_attempts())
             # (A completed attempt always has finished_at; NULLS LAST keeps both backends alike anyway.)
             .order_by(AttemptQuestion.question_id, QuizAttempt.finished_at.asc().nulls_last(), QuizAttempt.id))
    stream = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH_ROWS).execute(query)

    def counted(rows: Iterable) -> Iterator:
        for row in rows:
            counters["rows"] += 1
            yield row

    for question_id, rows in groupby(counted(stream), key=itemgetter(0)):
        users: set[int] = set()
        firsts = []
        for row in rows:
            if row[1] not in users:
                users.add(row[1])
                firsts.append(row)
        yield question_id, firsts


def _response(row: tuple, scores: dict[int, tuple[int, int]], item: BankItem,
              decoded: dict[str | None, tuple[int, ...]]) -> Response:
    """A first response from its row; `decoded` caches what each JSON text picks (a question's
    learners give few distinct answers, so most rows skip the JSON decoding)."""
    _qid, _user, attempt_id, is_correct, selected, answer, spent_ms = row
    score = 1 if is_correct else 0
    correct, total = scores.get(attempt_id, (score, 1))
    rest = (correct - score) / (total - 1) if total > 1 else None
    text = answer if item.type in PBQ_TYPES else selected
    picked = decoded.get(text)
    if picked is None:
        if item.type in PBQ_TYPES:
            picked = _placed_correctly(item, json.loads(text) if text else None)
        else:
            picked = tuple(json.loads(text)) if text else ()
        decoded[text] = picked
    return Response(attempt_id, score, correct / total, rest, picked, (spent_ms or 0) / 1000.0)


def _placed_correctly(item: BankItem, answer: dict | None) -> tuple[int, ...]:
    """The items an ordering or matching answer puts in their right place."""
    answer = answer or {}
    if item.type == "ordering":
        order = list(answer.get("order") or [])
        return tuple(cid for position, cid in enumerate(item.choice_ids)
                     if position < len(order) and order[position] == cid)
    matches = answer.get("matches") or {}
    return tuple(cid for cid in item.choice_ids
                 if matches.get(str(cid)) is not None and matches.get(str(cid)) == item.targets.get(cid))


def group_size(responses: int) -> int:
    """The size of the top (and of the bottom) group: GROUP_PERCENT of the responses, rounded
    half up; the two never overlap."""
    return (GROUP_PERCENT * responses + 50) // 100


def point_biserial(pairs: list[tuple[int, float]]) -> float | None:
    """Pearson correlation of (item score, rest score) pairs; None when either has no variance."""
    n = len(pairs)
    if n < 2:
        return None
    sx = sum(x for x, _ in pairs)
    sy = sum(y for _, y in pairs)
    sxx = sum(x * x for x, _ in pairs)
    syy = sum(y * y for _, y in pairs)
    sxy = sum(x * y for x, y in pairs)
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def item_result(question_id: int, item: BankItem, responses: list[Response]) -> ItemResult:
    """All the statistics of one question from its first responses (pure: the tests call it)."""
    result = ItemResult(question_id, responses=len(responses))
    if not responses:
        return result
    n = len(responses)
    result.facility = round(100.0 * sum(r.score for r in responses) / n, 2)
    discrimination = point_biserial([(r.score, r.rest) for r in responses if r.rest is not None])
    result.discrimination = None if discrimination is None else round(discrimination, 4)
    result.median_seconds = round(statistics.median(r.seconds for r in responses), 2)

    # Best first; equal scores keep the earlier attempt first, a rule blind to this item.
    ranked = sorted(responses, key=lambda r: (-r.attempt_fraction, r.attempt_id))
    k = group_size(n)
    top, bottom = ranked[:k], ranked[n - k:] if k else []
    result.top_group, result.bottom_group = len(top), len(bottom)
    counts = {str(cid): {"all": 0, "top": 0, "bottom": 0} for cid in item.choice_ids}
    for group, members in (("all", responses), ("top", top), ("bottom", bottom)):
        for r in members:
            for cid in r.picked:
                slot = counts.get(str(cid))
                if slot is not None:
                    slot[group] += 1
    result.choice_counts = counts
    if n >= MIN_RESPONSES:
        _judge(result, item)
    return result


def _letter(item: BankItem, choice_id: int) -> str:
    return chr(ord("A") + item.choice_ids.index(choice_id))


def _judge(result: ItemResult, item: BankItem) -> None:
    """Fill `suspect_reasons` and `suspicion_score`: each rule that fires adds 1 plus its
    magnitude (0..1), so more reasons rank first and, among equals, the clearer case."""
    reasons: list[tuple[str, float]] = []
    if result.discrimination is not None and result.discrimination < DISCRIMINATION_FLOOR:
        reasons.append((f"Discrimination {result.discrimination:.2f} is below {DISCRIMINATION_FLOOR:g}: "
                        "learners who score well on the rest of the quiz get it wrong more often",
                        min(1.0, -result.discrimination)))
    distractor = _distractor_beats_key(result, item)
    if distractor is not None:
        reasons.append(distractor)
    if result.facility < FACILITY_LOW:
        reasons.append((f"Facility {result.facility:.1f}% is below {FACILITY_LOW:g}%",
                        (FACILITY_LOW - result.facility) / FACILITY_LOW))
    elif result.facility > FACILITY_HIGH:
        reasons.append((f"Facility {result.facility:.1f}% is above {FACILITY_HIGH:g}%",
                        (result.facility - FACILITY_HIGH) / (100.0 - FACILITY_HIGH)))
    result.suspect_reasons = [text for text, _ in reasons]
    result.suspicion_score = round(sum(1.0 + magnitude for _, magnitude in reasons), 4)


def _distractor_beats_key(result: ItemResult, item: BankItem) -> tuple[str, float] | None:
    """A wrong choice picked by more of the top group than some correct choice (for one key:
    than the key). Not applied to ordering and matching items, which have no distractors."""
    if item.type in PBQ_TYPES or not item.correct_ids or not result.top_group or not result.choice_counts:
        return None
    top = {int(cid): slot["top"] for cid, slot in result.choice_counts.items()}
    wrong = [cid for cid in item.choice_ids if cid not in item.correct_ids]
    if not wrong:
        return None
    worst_wrong = max(wrong, key=lambda cid: (top[cid], -item.choice_ids.index(cid)))
    weakest_key = min(item.correct_ids, key=lambda cid: (top[cid], item.choice_ids.index(cid)))
    if top[worst_wrong] <= top[weakest_key]:
        return None
    key_word = "the key" if len(item.correct_ids) == 1 else "correct choice"
    text = (f"Distractor {_letter(item, worst_wrong)} was picked by {top[worst_wrong]} of the top "
            f"{result.top_group} scorers, {key_word} {_letter(item, weakest_key)} by {top[weakest_key]}")
    return text, (top[worst_wrong] - top[weakest_key]) / result.top_group


def _write(results: list[ItemResult], computed_at: datetime) -> None:
    """Upsert every row in one short transaction (on SQLite the write lock is held only for it)."""
    if not results:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = QuestionStats.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.question_id],
        set_={column.name: statement.excluded[column.name] for column in table.columns
              if column.name != "question_id"})
    try:
        existing = set(db.session.scalars(sa.select(Question.id)))  # a question deleted meanwhile is skipped
        rows = [r.row(computed_at) for r in results if r.question_id in existing]
        db.session.execute(statement, rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

"""Practice recommendations: what to practise next, and why (issue 14, roadmap 12).

Deterministic and explainable, not "AI": each recommendation is a rule over the learner's own
answers with a score a person can recompute from the `reason` it shows. The dashboard, the
`/progress` page, `GET /api/v1/recommendations` and the weekly digest all call
`recommendations()`.

The kinds (`RecommendationKind`), each firing only when its rule holds:

- `weak_objective`: an objective with at least WEAK_AREA_MIN_ATTEMPTS answers below
  WEAK_AREA_ACCURACY_BELOW percent (the analytics' own weak-area rule), and at least
  QUIZ_MIN_COUNT active questions to quiz on. Action: a focused practice quiz on it.
- `stale_exam`: an exam last practised RECOMMEND_STALE_DAYS or more days ago. Action: a practice
  quiz of QUIZ_DEFAULT_COUNT questions (fewer when the exam holds fewer).
- `unseen`: an exam the learner has practised (or dated) with active questions never answered.
  Action: a practice quiz from the `unseen` source.
- `missed`: an exam with questions whose latest answer was wrong. Action: a practice quiz from
  the `missed` source.
- `goal_at_risk`: from RECOMMEND_GOAL_LATE_HOUR local time, a daily goal set and not yet met.
  Action: a study session of what is left (within the quiz size bounds).
- `ready_for_simulation`: over the last RECOMMEND_RECENT_DAYS local days, every domain of the
  exam has RECOMMEND_SIMULATION_MIN_ANSWERS answers at RECOMMEND_SIMULATION_ACCURACY percent or
  more, and no simulation was started for RECOMMEND_SIMULATION_GAP_DAYS days. Action: a simulation.
- `diagnostic`: only for a learner with no answer at all: a RECOMMEND_DIAGNOSTIC_COUNT-question
  practice quiz per exam (dated exams first).
- `due_reviews`: an exam with spaced-review cards due now (webapp/learning/due.py). Action: a
  study session from the `due` source ("Review now"), of every card due within the quiz size
  bounds.

The score (docs/API.md, "Recommendations"): `score = impact x urgency`.

- impact, in "points of accuracy to gain, weighted by the blueprint":
  weak_objective: domain weight (fraction) x (RECOMMEND_TARGET_ACCURACY - objective accuracy);
  stale_exam: the sum over answered domains of weight x max(0, target - domain accuracy), at
  least 1; unseen: the unseen share of the exam's questions x the exam's gap (target - its
  accuracy, at least 1); missed: the missed share x target (their latest answer scored 0);
  ready_for_simulation: 10; goal_at_risk: 50 (today only: it outranks the rest);
  due_reviews: one point per review due, at most DUE_REVIEWS_IMPACT_MAX (40). A card falls due
  when the chance of still remembering it has dropped to REVIEW_DESIRED_RETENTION, and it keeps
  dropping: each due review is a question being forgotten now, worth as much as a whole point of
  blueprint-weighted accuracy, so a handful of them outranks a typical weak objective (a 20%
  domain 30 points short gives 6). The cap keeps a long backlog below today's goal at urgency 1.
- urgency of the exam: 1 + min(days since last practised, RECOMMEND_URGENCY_MAX_DAYS) /
  RECOMMEND_URGENCY_MAX_DAYS, + 2 x (1 - days to the exam date / RECOMMEND_EXAM_HORIZON_DAYS)
  when a date within the horizon is set: from 1 to 4. goal_at_risk's urgency is 1.

Ties go by kind order, then exam code, then objective code, so the list is stable.

Cost: a fixed number of statements whatever the history (eight, plus the goals' two when a goal
is set): the blueprint, the learner's answer tallies per objective (one grouped scan of the
learner's rows on the covering answers index), the unseen and missed counts per exam, the last
simulation per exam, the exam dates and the due reviews per exam (one grouped read of the
learner's cards on their index).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from webapp.analytics.services import ObjectiveTallies, tallies_for
from webapp.extensions import db
from webapp.gamification.services import local_day
from webapp.learning.due import review_count
from webapp.learning.reviews import DueCount, due_counts
from webapp.models import Domain, Exam, Objective, Question, QuestionSource, QuizAttempt, QuizMode, User
from webapp.models.base import utcnow
from webapp.models.enums import RecommendationKind
from webapp.models.goals import ExamDate
from webapp.questions.services import visible_exams
from webapp.quiz.sources import latest_verdict

from webapp.goals.services import Progress, today_progress

GOAL_AT_RISK_IMPACT = 50.0  # today only: above any accuracy gap (at most 80 x a weight)
SIMULATION_IMPACT = 10.0
DUE_REVIEWS_IMPACT_MAX = 40.0  # one point per review due, up to this (below GOAL_AT_RISK_IMPACT)
EXAM_DATE_URGENCY = 2.0  # the most a near exam date adds to the urgency
KIND_ORDER = {kind: index for index, kind in enumerate(RecommendationKind)}


@dataclass(frozen=True)
class Action:
    """What starts the recommendation in one call of the JSON API (`method`, `url`, `body`), and
    the same thing as the browser's form POST to `quiz.start` (`form`: its field values)."""

    method: str
    url: str
    body: dict
    form: dict
    button: str  # the button's text


@dataclass(frozen=True)
class Recommendation:
    kind: RecommendationKind
    title: str
    reason: str
    action: Action
    score: float
    exam_code: str = ""
    objective_code: str = ""
    sort_key: tuple = field(default=(), compare=False, repr=False)


@dataclass
class _Tally:
    attempts: int = 0
    correct: int = 0
    recent_attempts: int = 0
    recent_correct: int = 0
    last_answered: datetime | None = None

    def add(self, other: "_Tally") -> None:
        self.attempts += other.attempts
        self.correct += other.correct
        self.recent_attempts += other.recent_attempts
        self.recent_correct += other.recent_correct
        if other.last_answered and (self.last_answered is None or _naive(other.last_answered) > _naive(self.last_answered)):
            self.last_answered = other.last_answered

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.attempts if self.attempts else 0.0

    @property
    def recent_accuracy(self) -> float:
        return 100.0 * self.recent_correct / self.recent_attempts if self.recent_attempts else 0.0


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _path(endpoint: str) -> str:
    """The path of an endpoint, built without a request (the digest runs from the command line).
    Kept per app: a call builds an action for every candidate (dozens), and binding the URL map
    costs about 0.2 ms each time, for a path that is fixed once the app is made."""
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    paths = current_app.extensions.setdefault("recommendation_paths", {})
    key = (endpoint, root)
    if key not in paths:
        paths[key] = current_app.url_map.bind("", script_name=root).build(endpoint)
    return paths[key]


def _quiz_action(exam: Exam, count: int, button: str, source: QuestionSource = QuestionSource.ALL,
                 objectives: list[str] | None = None, mode: QuizMode = QuizMode.PRACTICE) -> Action:
    """POST /api/v1/quizzes (or /api/v1/study-sessions for study) and the matching start form."""
    if mode == QuizMode.STUDY:
        body = {"exam_type": exam.slug, "count": count, "source": source.value}
        url = _path("api_study.start")
    elif mode == QuizMode.EXAM:
        body = {"exam_type": exam.slug, "mode": mode.value}
        url = _path("api_quizzes.start")
    else:
        body = {"exam_type": exam.slug, "count": count, "source": source.value}
        url = _path("api_quizzes.start")
    if objectives and mode != QuizMode.EXAM:
        body["domains"] = list(objectives)
    form = {"exam": exam.slug, "mode": mode.value, "count": str(count), "source": source.value,
            "timed": "y" if mode != QuizMode.STUDY else "", "objectives": list(objectives or [])}
    return Action("POST", url, body, form, button)


def _bounded_count(wanted: int) -> int:
    config = current_app.config
    return max(config["QUIZ_MIN_COUNT"], min(config["QUIZ_MAX_COUNT"], wanted))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


@dataclass
class _Context:
    """Everything the rules read, loaded in a fixed number of statements."""

    exams: dict[int, Exam]
    domains: dict[int, list[tuple[int, str, int]]]  # exam -> [(domain id, number, weight)]
    objectives: dict[int, tuple[int, str, str, int, int]]  # id -> (exam, code, title, domain id, active questions)
    tallies: dict[int, _Tally]  # objective -> tally
    unseen: dict[int, int]
    missed: dict[int, int]
    active: dict[int, int]  # exam -> active questions
    last_simulation: dict[int, datetime]
    exam_dates: dict[int, date]
    due: dict[int, int]  # exam -> cards due now


def _load(user: User, now: datetime, given: ObjectiveTallies | None = None,
          due: dict[int, DueCount] | None = None) -> _Context:
    """The rules' inputs; `given` (objective_tallies) and `due` (`due_counts(user.id, now)`) when
    the caller has read them for its other parts."""
    config = current_app.config
    exams = {exam.id: exam for exam in visible_exams(user) if exam.is_active}
    ids = list(exams)
    domains: dict[int, list] = defaultdict(list)
    objectives = {}
    in_draws = sa.and_(Question.is_active.is_(True), Question.withdrawn_at.is_(None))
    blueprint = (sa.select(Objective.id, Objective.exam_id, Objective.code, Objective.title, Domain.id, Domain.number,
                           Domain.weight_percent, sa.func.count(Question.id))
                 .join(Domain, Domain.id == Objective.domain_id)
                 .outerjoin(Question, sa.and_(Question.objective_id == Objective.id, in_draws))
                 .where(Objective.exam_id.in_(ids))
                 .group_by(Objective.id, Objective.exam_id, Objective.code, Objective.title, Domain.id, Domain.number,
                           Domain.weight_percent))
    seen_domains = set()
    for objective_id, exam_id, code, title, domain_id, number, weight, active in db.session.execute(blueprint):
        objectives[objective_id] = (exam_id, code, title, domain_id, int(active))
        if domain_id not in seen_domains:
            seen_domains.add(domain_id)
            domains[exam_id].append((domain_id, number, weight))

    recent_days = config["RECOMMEND_RECENT_DAYS"]
    found = tallies_for(user, given, (recent_days,), with_last=True, now=now)
    tallies = {objective_id: _Tally(t.attempts, t.correct, *t.windows[recent_days], t.last_answered)
               for objective_id, t in found.by_objective.items()}

    unseen, missed, active = {}, {}, {}
    if ids:
        # The `missed` source's rule (webapp/quiz/sources.py): the latest answer was wrong. An
        # answer always has a verdict, so no latest verdict means never answered: one index probe
        # per question answers both counts (an EXISTS beside it cost as much again).
        latest = latest_verdict(user.id)
        # MATERIALIZED: PostgreSQL would otherwise inline the verdict into both sums, two probes again.
        verdicts = (sa.select(Question.exam_id.label("exam_id"), latest.label("verdict"))
                    .where(Question.exam_id.in_(ids), in_draws).cte("verdicts").prefix_with("MATERIALIZED"))
        counts = db.session.execute(
            sa.select(verdicts.c.exam_id, sa.func.count(),
                      sa.func.sum(sa.case((verdicts.c.verdict.is_(None), 1), else_=0)),
                      sa.func.sum(sa.case((verdicts.c.verdict.is_(False), 1), else_=0)))
            .group_by(verdicts.c.exam_id))
        for exam_id, total, never, wrong in counts:
            active[exam_id], unseen[exam_id], missed[exam_id] = int(total), int(never or 0), int(wrong or 0)

    last_simulation = dict(db.session.execute(
        sa.select(QuizAttempt.exam_id, sa.func.max(QuizAttempt.started_at))
        .where(QuizAttempt.user_id == user.id, QuizAttempt.mode == QuizMode.EXAM.value)
        .group_by(QuizAttempt.exam_id)).all())
    today = local_day(now, user.timezone)
    exam_dates = dict(db.session.execute(
        sa.select(ExamDate.exam_id, ExamDate.exam_on).where(ExamDate.user_id == user.id, ExamDate.exam_on >= today)
    ).all())
    due = {exam_id: count.due for exam_id, count in (due_counts(user.id, now) if due is None else due).items()
           if count.due}
    return _Context(exams, domains, objectives, tallies, unseen, missed, active, last_simulation, exam_dates, due)


def _days_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(0, (_naive(now) - _naive(moment)).days)


def urgency(days_since_practice: int | None, days_to_exam: int | None) -> float:
    """1, plus up to 1 for the days since the exam was last practised (days /
    RECOMMEND_URGENCY_MAX_DAYS, capped), plus up to 2 as a set exam date comes within
    RECOMMEND_EXAM_HORIZON_DAYS (2 x (1 - days left / horizon))."""
    config = current_app.config
    value = 1.0
    if days_since_practice:
        cap = config["RECOMMEND_URGENCY_MAX_DAYS"]
        value += min(days_since_practice, cap) / cap
    horizon = config["RECOMMEND_EXAM_HORIZON_DAYS"]
    if days_to_exam is not None and days_to_exam < horizon:
        value += EXAM_DATE_URGENCY * (1 - days_to_exam / horizon)
    return value


def _exam_note(days_to_exam: int | None) -> str:
    if days_to_exam is None:
        return ""
    if days_to_exam == 0:
        return " Your exam is today."
    return f" Your exam is in {_plural(days_to_exam, 'day')}."


def recommendations(user: User, now: datetime | None = None, tallies: ObjectiveTallies | None = None,
                    due: dict[int, DueCount] | None = None, progress: Progress | None = None) -> list[Recommendation]:
    """Up to RECOMMEND_MAX recommendations for the learner, best first (see the module docstring).
    `tallies` (the page's objective_tallies, with the RECOMMEND_RECENT_DAYS window and the last
    answer), `due` (`due_counts(user.id, now)`) and `progress` (`today_progress(user, now)`): when
    the caller has already read them for its other parts (the dashboard shows all three)."""
    now = now or utcnow()
    return _ranked(user, _load(user, now, tallies, due), now, progress)


def _ranked(user: User, context: _Context, now: datetime, progress: Progress | None = None) -> list[Recommendation]:
    config = current_app.config
    target = config["RECOMMEND_TARGET_ACCURACY"]
    today = local_day(now, user.timezone)
    if not context.tallies:
        return _diagnostics(context, today)[: config["RECOMMEND_MAX"]]

    per_exam: dict[int, _Tally] = defaultdict(_Tally)
    per_domain: dict[int, _Tally] = defaultdict(_Tally)
    for objective_id, tally in context.tallies.items():
        if objective_id in context.objectives:
            exam_id, _code, _title, domain_id, _active = context.objectives[objective_id]
            per_exam[exam_id].add(tally)
            per_domain[domain_id].add(tally)

    found: list[Recommendation] = []
    for exam_id, exam in context.exams.items():
        exam_on = context.exam_dates.get(exam_id)
        days_to_exam = (exam_on - today).days if exam_on else None
        practised = per_exam.get(exam_id)
        days_since = _days_since(practised.last_answered, now) if practised else None
        pressing = urgency(days_since, days_to_exam)
        weights = {domain_id: weight for domain_id, _number, weight in context.domains.get(exam_id, [])}
        note = _exam_note(days_to_exam)

        for objective_id, (o_exam, code, title, domain_id, active) in context.objectives.items():
            tally = context.tallies.get(objective_id)
            if o_exam != exam_id or tally is None:
                continue
            if (tally.attempts < config["WEAK_AREA_MIN_ATTEMPTS"] or tally.accuracy >= config["WEAK_AREA_ACCURACY_BELOW"]
                    or active < config["QUIZ_MIN_COUNT"]):
                continue
            weight = weights.get(domain_id, 0)
            impact = weight / 100 * (target - tally.accuracy)
            count = min(config["RECOMMEND_FOCUSED_COUNT"], active)
            found.append(Recommendation(
                RecommendationKind.WEAK_OBJECTIVE, f"Focus on {exam.name} {code}",
                f"You're at {tally.accuracy:.0f}% on {exam.name} {code} over {_plural(tally.attempts, 'answer')}. "
                f"Take a focused quiz?{note} (Its domain is {weight}% of the exam and {target - tally.accuracy:.0f} "
                f"points short of {target}%.)",
                _quiz_action(exam, count, f"Take a {count}-question quiz on {code}", objectives=[code]),
                round(impact * pressing, 2), exam.code, code))

        due = context.due.get(exam_id, 0)
        if due:
            them = "it" if due == 1 else "them"
            found.append(Recommendation(
                RecommendationKind.DUE_REVIEWS, f"{_plural(due, 'review')} due in {exam.name}",
                f"{_plural(due, 'question')} you answered before {'is' if due == 1 else 'are'} due for review: "
                f"answering {them} now, before you forget, makes {them} stick for longer.{note}",
                _quiz_action(exam, review_count(due), "Review now", source=QuestionSource.DUE, mode=QuizMode.STUDY),
                round(min(float(due), DUE_REVIEWS_IMPACT_MAX) * pressing, 2), exam.code))

        if practised is None and days_to_exam is None:
            continue
        active_total = context.active.get(exam_id, 0)
        if practised is not None and days_since is not None and days_since >= config["RECOMMEND_STALE_DAYS"]:
            gap = sum(weights.get(d, 0) / 100 * max(0.0, target - per_domain[d].accuracy)
                      for d in weights if per_domain.get(d) and per_domain[d].attempts)
            count = min(config["QUIZ_DEFAULT_COUNT"], active_total)
            if count >= config["QUIZ_MIN_COUNT"]:
                found.append(Recommendation(
                    RecommendationKind.STALE_EXAM, f"Back to {exam.name}",
                    f"You haven't practised {exam.name} in {_plural(days_since, 'day')}.{note}",
                    _quiz_action(exam, count, f"Take a {count}-question {exam.name} quiz"),
                    round(max(1.0, gap) * pressing, 2), exam.code))
        unseen = context.unseen.get(exam_id, 0) if practised is not None else 0
        if unseen and active_total:
            found.append(Recommendation(
                RecommendationKind.UNSEEN, f"New {exam.name} questions",
                f"{unseen} {exam.name} question{'s' if unseen != 1 else ''} you've never seen.{note}",
                _quiz_action(exam, _bounded_count(min(unseen, config["QUIZ_DEFAULT_COUNT"])),
                             "Quiz me on new questions", source=QuestionSource.UNSEEN),
                round(unseen / active_total * max(1.0, target - practised.accuracy) * pressing, 2), exam.code))
        missed = context.missed.get(exam_id, 0)
        if missed and active_total:
            are = "is" if missed == 1 else "are"
            found.append(Recommendation(
                RecommendationKind.MISSED, f"Retry what you missed in {exam.name}",
                f"{_plural(missed, 'question')} you got wrong {are} waiting in {exam.name}.{note}",
                _quiz_action(exam, _bounded_count(min(missed, config["QUIZ_DEFAULT_COUNT"])),
                             "Quiz me on the ones I missed", source=QuestionSource.MISSED),
                round(missed / active_total * target * pressing, 2), exam.code))
        ready = _ready_for_simulation(context, exam_id, per_domain, now)
        if ready is not None and active_total >= exam.question_count:
            found.append(Recommendation(
                RecommendationKind.READY_FOR_SIMULATION, f"Try a {exam.name} simulation",
                f"Over the last {config['RECOMMEND_RECENT_DAYS']} days you are at {ready:.0f}% or better in every "
                f"{exam.name} domain, and you haven't taken a simulation in "
                f"{config['RECOMMEND_SIMULATION_GAP_DAYS']} days.{note}",
                _quiz_action(exam, exam.question_count, "Start an exam simulation", mode=QuizMode.EXAM),
                round(SIMULATION_IMPACT * pressing, 2), exam.code))

    goal = _goal_at_risk(user, context, per_exam, now, progress)
    if goal is not None:
        found.append(goal)
    found.sort(key=lambda r: (-r.score, KIND_ORDER[r.kind], r.exam_code, _code_key(r.objective_code)))
    return found[: config["RECOMMEND_MAX"]]


def _code_key(code: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in code.split(".")) if code else ()


def _ready_for_simulation(context: _Context, exam_id: int, per_domain: dict[int, _Tally], now: datetime) -> float | None:
    """The lowest recent domain accuracy when every domain of the exam qualifies; None otherwise."""
    config = current_app.config
    domains = context.domains.get(exam_id, [])
    if not domains:
        return None
    last = context.last_simulation.get(exam_id)
    if last is not None and _days_since(last, now) < config["RECOMMEND_SIMULATION_GAP_DAYS"]:
        return None
    lowest = 100.0
    for domain_id, _number, _weight in domains:
        tally = per_domain.get(domain_id)
        if tally is None or tally.recent_attempts < config["RECOMMEND_SIMULATION_MIN_ANSWERS"]:
            return None
        if tally.recent_accuracy < config["RECOMMEND_SIMULATION_ACCURACY"]:
            return None
        lowest = min(lowest, tally.recent_accuracy)
    return lowest


def _goal_at_risk(user: User, context: _Context, per_exam: dict[int, _Tally], now: datetime,
                  progress: Progress | None = None) -> Recommendation | None:
    """Late in the learner's day with a goal set and not met: a study session of what is left,
    on the exam practised most recently (`progress`: today's, when the caller has read it)."""
    config = current_app.config
    if not per_exam:
        return None
    local_hour = now.astimezone(ZoneInfo(user.timezone)).hour
    if local_hour < config["RECOMMEND_GOAL_LATE_HOUR"]:
        return None
    progress = progress or today_progress(user, now)
    if not progress.has_goals or progress.met:
        return None
    exam_id = max((e for e in per_exam if e in context.exams),
                  key=lambda e: (_naive(per_exam[e].last_answered), -e), default=None)
    if exam_id is None:
        return None
    exam = context.exams[exam_id]
    left = [goal for goal in progress.goals if not goal.reached]
    remaining = max(goal.remaining for goal in left)
    what = " and ".join(f"{goal.remaining} {goal.kind.label.lower().replace(' a day', '')}" for goal in left)
    count = _bounded_count(remaining)
    return Recommendation(
        RecommendationKind.GOAL_AT_RISK, "Today's goal is not met yet",
        f"It's after {config['RECOMMEND_GOAL_LATE_HOUR']}:00 and you still need {what} to meet today's goal.",
        _quiz_action(exam, count, f"Study {count} {exam.name} questions", mode=QuizMode.STUDY),
        GOAL_AT_RISK_IMPACT, exam.code)


def _diagnostics(context: _Context, today: date) -> list[Recommendation]:
    """A brand-new learner: a short diagnostic quiz per exam that holds enough questions, dated
    exams first (soonest first)."""
    count = current_app.config["RECOMMEND_DIAGNOSTIC_COUNT"]
    found = []
    for exam_id, exam in context.exams.items():
        if context.active.get(exam_id, 0) < count:
            continue
        exam_on = context.exam_dates.get(exam_id)
        days = (exam_on - today).days if exam_on else None
        found.append(Recommendation(
            RecommendationKind.DIAGNOSTIC, f"Start with a {count}-question diagnostic quiz",
            f"You haven't answered any {exam.name} questions yet: a {count}-question diagnostic quiz shows where "
            f"you stand.{_exam_note(days)}",
            _quiz_action(exam, count, f"Start the {exam.name} diagnostic"),
            round(urgency(None, days), 2), exam.code))
    found.sort(key=lambda r: (-r.score, r.exam_code))
    return found

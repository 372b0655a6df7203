"""What a page needs to show the pacing and the confidence lists (templates/analytics/_pacing.html
and _confidence_lists.html): the quiz result page and its review include them for one attempt,
`/progress` for the chosen exam and period."""

from __future__ import annotations

from flask import current_app

from webapp.analytics.services import ObjectiveTallies, objective_tallies
from webapp.analytics.confidence import ConfidenceLists, attempt_confidence_lists, confidence_lists
from webapp.analytics.pacing import attempt_pacing, finish_estimate, pacing
from webapp.models import QuizAttempt, User
from webapp.quiz.forms import StartShortcutForm, start_shortcut_forms


def study_forms(lists: ConfidenceLists) -> dict[str, StartShortcutForm]:
    """"Study these" per list with questions: a study session on its source (sure_wrong or
    lucky_guess), as many questions as it holds up to QUIZ_MAX_COUNT (the source shrinks the count)."""
    if not lists.rated:
        return {}
    count = current_app.config["QUIZ_MAX_COUNT"]
    return {found.source.value: start_shortcut_forms(lists.exam.slug, found.source, count,
                                                     id_prefix=f"confidence-{found.source.value}")[0]
            for found in lists.lists if found.total}


def attempt_context(attempt: QuizAttempt, confidence: bool = True) -> dict:
    """`pacing` (with `finish` for a simulation) and, unless told not to, `confidence` and
    `confidence_forms` for a completed attempt; `attempt` must have its questions loaded
    (quiz.services.with_questions) for the lists."""
    found = attempt_pacing(attempt)
    context = {"pacing": found, "finish": finish_estimate(attempt, found)}
    if confidence:
        lists = attempt_confidence_lists(attempt)
        context.update(confidence=lists, confidence_forms=study_forms(lists))
    return context


def progress_context(user: User, exam_slug: str, period: str) -> dict:
    """`pacing`, `confidence` and `confidence_forms` for /progress on one exam and period."""
    found = pacing(user, exam_slug, period)
    lists = confidence_lists(user, found.exam)
    return {"pacing": found, "confidence": lists, "confidence_forms": study_forms(lists)}


def page_tallies(user: User, charts: bool, recommendations: bool) -> ObjectiveTallies:
    """The learner's answers per objective, read once for everything a page (/progress, the
    dashboard) shows from them: the weak areas, the objective charts' trends (`charts`:
    ANALYTICS_TREND_DAYS) and the recommendations (`recommendations`: RECOMMEND_RECENT_DAYS and
    the last answer)."""
    config = current_app.config
    days = ((config["ANALYTICS_TREND_DAYS"],) if charts else ()) + ((config["RECOMMEND_RECENT_DAYS"],)
                                                                    if recommendations else ())
    return objective_tallies(user, days, with_last=recommendations)

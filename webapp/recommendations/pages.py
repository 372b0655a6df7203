"""What a page needs to show the "Recommended for you" list (templates/recommendations/_list.html):
the dashboard includes it, and so can `/progress`."""

from __future__ import annotations

from webapp.analytics.services import ObjectiveTallies
from webapp.bookmarks.forms import CsrfForm
from webapp.models import User
from webapp.recommendations.services import Recommendation, recommendations


def recommendation_list_context(user: User, ranked: list[Recommendation] | None = None,
                                tallies: ObjectiveTallies | None = None) -> dict:
    """`recommendations` (ranked; `ranked` when the caller has them, as the dashboard does) and
    `recommendation_form`, whose CSRF token every button's POST to quiz.start carries (`tallies`:
    the page's answer tallies, when it read them already)."""
    return {"recommendations": recommendations(user, tallies=tallies) if ranked is None else ranked,
            "recommendation_form": CsrfForm()}

"""What a page needs to show the "Recommended for you" list (templates/recommendations/_list.html):
the dashboard includes it, and so can `/progress`."""

from __future__ import annotations

from webapp.bookmarks.forms import CsrfForm
from webapp.models import User
from webapp.recommendations.services import recommendations


def recommendation_list_context(user: User) -> dict:
    """`recommendations` (ranked) and `recommendation_form`, whose CSRF token every button's POST
    to quiz.start carries."""
    return {"recommendations": recommendations(user), "recommendation_form": CsrfForm()}

"""`/api/v1/recommendations`: what to practise next, ranked, each with why and the one call that
starts it. A thin view over webapp/recommendations/services.py, which the dashboard, `/progress`
and the weekly digest use too.

Responses are personal: the bearer token makes them `Cache-Control: no-store` (webapp/security.py).
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint
from webapp.api.auth import api_user, token_required
from webapp.api.schemas import BEARER
from webapp.models.enums import RecommendationKind
from webapp.recommendations import services

KINDS = ma.validate.OneOf([kind.value for kind in RecommendationKind])

recommendations_bp = Blueprint("api_recommendations", __name__,
                               description="Practice recommendations: deterministic, each with its reason")


class ActionOut(ma.Schema):
    method = ma.fields.String(required=True, metadata={"description": "always POST"})
    url = ma.fields.String(required=True, metadata={
        "description": "the API path that starts it: /api/v1/quizzes or /api/v1/study-sessions"})
    body = ma.fields.Dict(required=True, metadata={"description": "the JSON body to send as it is"})


class RecommendationOut(ma.Schema):
    kind = ma.fields.String(required=True, validate=KINDS)
    title = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, metadata={"description": "why it is recommended, in the learner's words"})
    action = ma.fields.Nested(ActionOut, required=True)


class RecommendationsOut(ma.Schema):
    recommendations = ma.fields.List(ma.fields.Nested(RecommendationOut), required=True, metadata={
        "description": "at most RECOMMEND_MAX, best first"})


def recommendation_body(item: services.Recommendation) -> dict:
    action = item.action
    return {"kind": item.kind.value, "title": item.title, "reason": item.reason,
            "action": {"method": action.method, "url": action.url, "body": action.body}}


@recommendations_bp.route("", methods=["GET"])
@recommendations_bp.doc(security=BEARER)
@recommendations_bp.response(200, RecommendationsOut)
@token_required
def list_recommendations():
    """Your practice recommendations, best first (docs/API.md, "Recommendations": the kinds and the score)."""
    return {"recommendations": [recommendation_body(item) for item in services.recommendations(api_user())]}

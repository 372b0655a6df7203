"""The learner's "Report a problem" form and "My reports" page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__)

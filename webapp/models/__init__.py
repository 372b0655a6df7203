"""All models, re-exported so `from webapp.models import X` works everywhere.

Models live centrally because a question is used by nearly every feature.
"""

from __future__ import annotations

from webapp.extensions import db

__all__ = ["db"]

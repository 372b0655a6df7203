"""Gamification hook called by the quiz engine when an attempt is completed.

`record_quiz_completion` runs inside the quiz's submit transaction, so whatever it awards is
committed (or rolled back) together with the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CompletionOutcome:
    xp_earned: int = 0
    new_achievements: list[dict] = field(default_factory=list)


def record_quiz_completion(attempt, result: dict) -> CompletionOutcome:
    """Award XP, streak days and achievements for a completed attempt."""
    return CompletionOutcome()

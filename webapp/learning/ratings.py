"""How an answer maps to an FSRS rating (docs/LEARNING.md, "Ratings"; thresholds in config.py).

| Answer                                                        | Rating |
|---------------------------------------------------------------|--------|
| wrong (an unanswered quiz question is recorded as wrong)      | Again  |
| right but "guessed", or slower than REVIEW_HARD_PACE_RATIO x pace | Hard |
| right, "sure" and no slower than REVIEW_EASY_PACE_RATIO x pace | Easy  |
| any other right answer                                        | Good   |

The pace is the exam's time budget per question, QUIZ_SECONDS_PER_QUESTION (72 s: 90 minutes for
a typical 75 questions), the pace practice quizzes are timed at.
"""

from __future__ import annotations

from flask import current_app
from fsrs import Rating

from webapp.models import Confidence, Exam


def pace_seconds(exam: Exam) -> float:
    """The exam's time budget per question in seconds: QUIZ_SECONDS_PER_QUESTION, the same for
    every exam we carry (each is 90 minutes for up to 90, typically about 75, questions)."""
    return float(current_app.config["QUIZ_SECONDS_PER_QUESTION"])


def rating_for(is_correct: bool, confidence: str | None, seconds: float, pace: float, hard_ratio: float,
               easy_ratio: float) -> Rating:
    """The rating of one answer (the table above)."""
    if not is_correct:
        return Rating.Again
    if confidence == Confidence.GUESSED or seconds > hard_ratio * pace:
        return Rating.Hard
    if confidence == Confidence.SURE and seconds <= easy_ratio * pace:
        return Rating.Easy
    return Rating.Good

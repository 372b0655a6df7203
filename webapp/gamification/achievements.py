"""Achievements as data: each has a code, name, description, icon and a small rule.

A rule reads an `AchievementStats` snapshot and returns (current, target); it is met when
current reaches target. Adding an achievement means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable


@dataclass(frozen=True)
class AchievementStats:
    """The numbers the rules read, computed once per completion."""

    quizzes: int = 0
    correct_answers: int = 0
    simulations: int = 0
    passed_simulations: int = 0
    perfect_scores: int = 0
    exams_tried: int = 0
    exams_available: int = 4
    longest_streak: int = 0
    best_mastered_objective_answers: int = 0  # answers in the best objective held at 90%+
    # The attempt just completed (score, timing, previous score, and "counts": False for a blank
    # or too-fast quiz, which can unlock neither "Comeback" nor "Beat the clock").
    latest: dict = field(default_factory=dict)
    comeback_seen: bool = False

    def with_comeback(self) -> "AchievementStats":
        return replace(self, comeback_seen=True)


Rule = Callable[[AchievementStats], tuple[int, int]]
COMEBACK_POINTS = 20


@dataclass(frozen=True)
class Achievement:
    code: str
    name: str
    description: str
    icon: str
    rule: Rule

    def progress(self, stats: AchievementStats) -> tuple[int, int]:
        return self.rule(stats)

    def is_met(self, stats: AchievementStats) -> bool:
        current, target = self.rule(stats)
        return current >= target


def _count(attribute: str, target: int) -> Rule:
    return lambda s: (getattr(s, attribute), target)


def _comeback(s: AchievementStats) -> tuple[int, int]:
    latest = s.latest
    previous = latest.get("previous_score_percent")
    improved = (latest.get("counts", True) and previous is not None
                and latest.get("score_percent", 0) >= previous + COMEBACK_POINTS)
    return (1 if improved or s.comeback_seen else 0, 1)


def _speed(s: AchievementStats) -> tuple[int, int]:
    """Timed quizzes only: an untimed quiz can never earn a speed achievement."""
    latest = s.latest
    limit = latest.get("time_limit_seconds")
    fast = (latest.get("counts", True) and bool(latest.get("timed")) and bool(limit) and latest.get("total", 0) >= 10
            and latest.get("time_used_seconds", limit) <= limit / 2 and latest.get("score_percent", 0) >= 80)
    return (1 if fast else 0, 1)


def _mastery(s: AchievementStats) -> tuple[int, int]:
    return (min(s.best_mastered_objective_answers, 20), 20)


def _all_exams(s: AchievementStats) -> tuple[int, int]:
    return (s.exams_tried, max(s.exams_available, 1))


ACHIEVEMENTS: tuple[Achievement, ...] = (
    Achievement("first_quiz", "First steps", "Complete your first quiz.", "🎯", _count("quizzes", 1)),
    Achievement("ten_quizzes", "Getting serious", "Complete 10 quizzes.", "📚", _count("quizzes", 10)),
    Achievement("fifty_quizzes", "Quiz machine", "Complete 50 quizzes.", "🏭", _count("quizzes", 50)),
    Achievement("perfect_score", "Flawless", "Score 100% on a quiz of 10 or more questions.", "💯",
                _count("perfect_scores", 1)),
    Achievement("streak_7", "On a roll", "Study 7 days in a row.", "🔥", _count("longest_streak", 7)),
    Achievement("streak_30", "Unstoppable", "Study 30 days in a row.", "🌋", _count("longest_streak", 30)),
    Achievement("first_simulation", "Dress rehearsal", "Complete your first full exam simulation.", "🧪",
                _count("simulations", 1)),
    Achievement("passed_simulation", "Exam ready", "Pass a full exam simulation.", "🎓",
                _count("passed_simulations", 1)),
    Achievement("objective_master", "Specialist", "Hold 90% or better over 20+ answers in one objective.", "🧠",
                _mastery),
    Achievement("correct_100", "Century", "Answer 100 questions correctly.", "✅", _count("correct_answers", 100)),
    Achievement("correct_1000", "Thousand club", "Answer 1,000 questions correctly.", "🏆",
                _count("correct_answers", 1000)),
    Achievement("all_exams", "Well rounded", "Complete a quiz for every exam.", "🧭", _all_exams),
    Achievement("comeback", "Comeback", "Beat your previous score on the same exam by 20 points or more.", "📈",
                _comeback),
    Achievement("speed_run", "Beat the clock", "Finish a timed quiz of 10+ questions in half the time with 80%+.",
                "⏱️", _speed),
)

_BY_CODE = {achievement.code: achievement for achievement in ACHIEVEMENTS}


def achievement_by_code(code: str) -> Achievement | None:
    return _BY_CODE.get(code)

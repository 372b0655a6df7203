"""Levels from total XP: level n needs 50·n·(n−1) XP, so each level is 100 XP steeper.

Level 1 at 0 XP, level 2 at 100, level 3 at 300, level 4 at 600, level 5 at 1,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

XP_STEP = 50


def xp_for_level(level: int) -> int:
    """Total XP needed to reach `level` (level 1 needs 0)."""
    return XP_STEP * level * (level - 1)


def level_for_xp(xp: int) -> int:
    """The highest level whose requirement `xp` meets."""
    if xp <= 0:
        return 1
    # Solve 50·n·(n−1) <= xp for the largest integer n, then correct any float rounding.
    level = int((1 + math.sqrt(1 + 4 * xp / XP_STEP)) / 2)
    while xp_for_level(level + 1) <= xp:
        level += 1
    while xp_for_level(level) > xp:
        level -= 1
    return level


@dataclass(frozen=True)
class LevelProgress:
    level: int
    xp: int
    current_floor: int
    next_level_xp: int

    @property
    def percent(self) -> int:
        span = self.next_level_xp - self.current_floor
        return int(100 * (self.xp - self.current_floor) / span) if span else 100


def level_progress(xp: int) -> LevelProgress:
    level = level_for_xp(xp)
    return LevelProgress(level, xp, xp_for_level(level), xp_for_level(level + 1))

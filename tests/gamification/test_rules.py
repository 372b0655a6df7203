"""Level formula, XP rules, streaks across time zones and DST, and every achievement rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.gamification.achievements import ACHIEVEMENTS, AchievementStats, achievement_by_code
from webapp.gamification.levels import level_for_xp, level_progress, xp_for_level
from webapp.gamification.services import (QuizFacts, advance_streak, iso_week_start, local_day, streak_view,
                                          xp_awards_for)
from webapp.models import Streak

ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Kiritimati",
         "America/St_Johns", "Pacific/Pago_Pago"]


@pytest.mark.parametrize("xp,level", [(0, 1), (99, 1), (100, 2), (299, 2), (300, 3), (599, 3), (600, 4),
                                      (1000, 5), (4500, 10), (4499, 9)])
def test_level_edges(xp, level):
    """Level n needs 50·n·(n−1) XP: the edges fall exactly on those totals."""
    assert level_for_xp(xp) == level


@given(st.integers(min_value=0, max_value=10_000_000))
def test_level_is_consistent_with_thresholds(xp):
    """For any XP, the level's threshold is reached and the next one is not."""
    level = level_for_xp(xp)
    assert xp_for_level(level) <= xp < xp_for_level(level + 1)
    progress = level_progress(xp)
    assert 0 <= progress.percent < 100


def test_levels_get_steeper():
    """Each level costs 100 XP more than the one before."""
    steps = [xp_for_level(n + 1) - xp_for_level(n) for n in range(1, 10)]
    assert steps == [100 * n for n in range(1, 10)]


def _facts(mode="practice", total=10, correct=0, answered=None, passed=None, seconds=None) -> QuizFacts:
    return QuizFacts(mode, total, total if answered is None else answered, correct, passed,
                     total * 60 if seconds is None else seconds)


def _awards(facts: QuizFacts, credited: int | None = None) -> dict:
    return dict(xp_awards_for(facts, facts.correct if credited is None else credited).awards)


def test_xp_rules(app):
    """10 per credited correct answer; +50 for 10+ questions; +100 if perfect; +200 for a passed simulation."""
    with app.app_context():
        assert _awards(_facts(total=9, correct=7)) == {"correct_answers": 70}
        assert _awards(_facts(correct=8)) == {"correct_answers": 80, "completion_bonus": 50}
        assert _awards(_facts(correct=10)) == {"correct_answers": 100, "completion_bonus": 50, "perfect_score": 100}
        assert _awards(_facts("exam", 90, 80, passed=True)) == {"correct_answers": 800, "completion_bonus": 50,
                                                                "simulation_passed": 200}
        assert _awards(_facts("study", correct=10)) == {}


def test_xp_anti_farming_rules(app):
    """Blank: nothing; under 90% answered: no completion bonus; replays: no bonus; too fast: nothing."""
    with app.app_context():
        app.config["XP_MIN_SECONDS_PER_QUESTION"] = 5
        try:
            assert _awards(_facts("exam", 90, 0, answered=0, passed=False)) == {}
            assert _awards(_facts(correct=8, answered=8)) == {"correct_answers": 80}
            assert _awards(_facts(correct=9, answered=9)) == {"correct_answers": 90, "completion_bonus": 50}
            assert _awards(_facts("exam", 10, 9, answered=9, passed=True)) == {"correct_answers": 90,
                                                                               "completion_bonus": 50}
            assert _awards(_facts(correct=10), credited=4) == {"correct_answers": 40}
            assert _awards(_facts(correct=10), credited=5) == {"correct_answers": 50, "completion_bonus": 50,
                                                                "perfect_score": 100}
            assert _awards(_facts(correct=10, seconds=49)) == {}
            assert _awards(_facts(correct=10, seconds=50))["perfect_score"] == 100
            notes = xp_awards_for(_facts(correct=10, seconds=0), 10).notes
            assert [n["code"] for n in notes] == ["too_fast"] and "5 seconds" in notes[0]["message"]
        finally:
            app.config["XP_MIN_SECONDS_PER_QUESTION"] = 0


def _streak() -> Streak:
    return Streak(user_id=1, current=0, longest=0, freezes=0, freezes_used=0)


def test_consecutive_days_extend_and_missed_day_resets():
    """Consecutive days grow the streak; the same day twice changes nothing; a gap restarts it."""
    s = _streak()
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 3)):
        advance_streak(s, day)
    assert (s.current, s.longest) == (3, 3)
    advance_streak(s, date(2026, 3, 5))
    assert (s.current, s.longest) == (1, 3)


def test_freeze_earned_every_seven_days_and_capped_at_two():
    """One freeze per 7-day streak, at most two held."""
    s = _streak()
    start = date(2026, 1, 1)
    for offset in range(21):
        advance_streak(s, start + timedelta(days=offset))
    assert s.current == 21 and s.freezes == 2


def test_freeze_covers_missed_days_automatically():
    """A missed day is covered by a freeze: the streak continues and the freeze is spent."""
    s = _streak()
    start = date(2026, 1, 1)
    for offset in range(7):
        advance_streak(s, start + timedelta(days=offset))
    assert s.freezes == 1
    advance_streak(s, start + timedelta(days=8))  # day 8 missed
    assert (s.current, s.freezes, s.freezes_used) == (8, 0, 1)
    advance_streak(s, start + timedelta(days=10))  # day 10 missed, no freeze left
    assert s.current == 1 and s.longest == 8


def test_streak_view_shows_zero_after_an_uncovered_gap():
    """Displayed streak drops to 0 once a gap cannot be covered; freezes keep it alive meanwhile."""
    s = _streak()
    for offset in range(7):
        advance_streak(s, date(2026, 1, 1) + timedelta(days=offset))
    last = date(2026, 1, 7)
    assert streak_view(s, last).current == 7 and streak_view(s, last).active_today
    assert streak_view(s, last + timedelta(days=1)).at_risk
    assert streak_view(s, last + timedelta(days=2)).current == 7  # one missed day, one freeze held
    assert streak_view(s, last + timedelta(days=3)).current == 0


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(timezone.utc)),
       st.sampled_from(ZONES))
def test_local_day_matches_the_wall_clock(moment, zone):
    """The day counted is the calendar date on the user's wall clock, in any zone."""
    assert local_day(moment, zone) == moment.astimezone(ZoneInfo(zone)).date()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ZONES), st.dates(min_value=date(2021, 1, 1), max_value=date(2029, 12, 1)),
       st.integers(min_value=2, max_value=40), st.sampled_from([0, 1, 2, 12, 22, 23]), st.integers(0, 59))
def test_daily_quiz_at_same_local_time_is_an_unbroken_streak(zone, start, days, hour, minute):
    """Finishing a quiz every day at the same local time (across DST changes) never breaks the streak."""
    tz = ZoneInfo(zone)
    s = _streak()
    for offset in range(days):
        local = datetime.combine(start + timedelta(days=offset), datetime.min.time()).replace(
            hour=hour, minute=minute, tzinfo=tz)
        advance_streak(s, local_day(local.astimezone(timezone.utc), zone))
    assert s.current == days and s.longest == days


def test_dst_spring_forward_night_counts_once():
    """Two quizzes either side of New York's 2026 spring-forward gap, same local day, count one day."""
    before = datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc)  # 01:30 EST
    after = datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)   # 03:30 EDT
    assert local_day(before, "America/New_York") == local_day(after, "America/New_York") == date(2026, 3, 8)


def test_same_instant_is_different_days_in_different_zones():
    """23:30 UTC is already tomorrow in Tokyo: streak days follow the user's zone."""
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)
    assert local_day(moment, "UTC") == date(2026, 6, 1)
    assert local_day(moment, "Asia/Tokyo") == date(2026, 6, 2)


def test_iso_week_start_is_monday_utc():
    """Weekly XP groups by ISO week starting Monday, in UTC."""
    assert iso_week_start(datetime(2026, 11, 29, 23, 59, tzinfo=timezone.utc)) == date(2026, 11, 23)
    assert iso_week_start(datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)) == date(2026, 11, 30)


def test_there_are_at_least_twelve_achievements():
    """Achievements are data: at least 12, each with code, name, description, icon and rule."""
    assert len(ACHIEVEMENTS) >= 12
    assert len({a.code for a in ACHIEVEMENTS}) == len(ACHIEVEMENTS)
    for a in ACHIEVEMENTS:
        assert a.code and a.name and a.description and a.icon and callable(a.rule)


RULE_CASES = [
    ("first_quiz", AchievementStats(quizzes=1), AchievementStats(quizzes=0)),
    ("ten_quizzes", AchievementStats(quizzes=10), AchievementStats(quizzes=9)),
    ("fifty_quizzes", AchievementStats(quizzes=50), AchievementStats(quizzes=49)),
    ("perfect_score", AchievementStats(perfect_scores=1), AchievementStats(perfect_scores=0)),
    ("streak_7", AchievementStats(longest_streak=7), AchievementStats(longest_streak=6)),
    ("streak_30", AchievementStats(longest_streak=30), AchievementStats(longest_streak=29)),
    ("first_simulation", AchievementStats(simulations=1), AchievementStats(simulations=0)),
    ("passed_simulation", AchievementStats(passed_simulations=1), AchievementStats(simulations=3)),
    ("objective_master", AchievementStats(best_mastered_objective_answers=20),
     AchievementStats(best_mastered_objective_answers=19)),
    ("correct_100", AchievementStats(correct_answers=100), AchievementStats(correct_answers=99)),
    ("correct_1000", AchievementStats(correct_answers=1000), AchievementStats(correct_answers=999)),
    ("all_exams", AchievementStats(exams_tried=4, exams_available=4), AchievementStats(exams_tried=3)),
    ("comeback", AchievementStats(latest={"score_percent": 80, "previous_score_percent": 60}),
     AchievementStats(latest={"score_percent": 79, "previous_score_percent": 60})),
    ("speed_run", AchievementStats(latest={"timed": True, "time_limit_seconds": 720, "time_used_seconds": 360,
                                           "total": 10, "score_percent": 80}),
     AchievementStats(latest={"timed": False, "time_limit_seconds": None, "time_used_seconds": 100,
                              "total": 10, "score_percent": 100})),
]


@pytest.mark.parametrize("code,met,unmet", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_each_achievement_rule(code, met, unmet):
    """Every rule is met exactly at its threshold and not just below it."""
    achievement = achievement_by_code(code)
    assert achievement.is_met(met)
    assert not achievement.is_met(unmet)


def test_every_achievement_has_a_rule_case():
    """The rule tests cover every defined achievement."""
    assert {c[0] for c in RULE_CASES} == {a.code for a in ACHIEVEMENTS}


def test_progress_reports_current_and_target():
    """Locked achievements report progress such as 7 / 10 quizzes."""
    assert achievement_by_code("ten_quizzes").progress(AchievementStats(quizzes=7)) == (7, 10)

"""XP, levels, streaks and achievements."""

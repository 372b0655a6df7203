"""The admin triage queue: learner reports and item statistics, side by side."""

"""The learning engine: spaced review (FSRS), mastery per objective and readiness (docs/LEARNING.md)."""

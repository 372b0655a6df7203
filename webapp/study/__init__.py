"""Study mode: untimed sessions, each answer explained at once; no XP."""

"""Analytics: performance over time, accuracy and trend per objective, weak areas (issue 13)."""

"""Analytics: performance over time, objective accuracy and trends, weak areas."""

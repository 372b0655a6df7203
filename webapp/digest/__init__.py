"""The opt-in weekly digest email: what a learner's week was, sent once per ISO week."""

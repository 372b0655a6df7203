"""Learner reports on questions ("Report a problem") and the flags they raise."""

"""Column helpers shared by every model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


# `__table_args__` entry for every table whose integer id a URL, form or cookie can name. SQLite
# otherwise hands the highest id out again after a delete (so a deleted account's cookie or a
# deleted attempt's link would name the next new row); AUTOINCREMENT never reuses one.
# PostgreSQL sequences never reuse values, so the option only affects SQLite.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


# The app's clock runs this far ahead of the machine's. Always zero, except in a browser test
# that moves the clock forward (`travel_clock`) to see what a learner sees days later.
_clock_offset = timedelta(0)


def utcnow() -> datetime:
    """The current time on the app's clock, timezone-aware in UTC. Every rule that asks "now"
    (quiz deadlines, due reviews, local days) reads this one function."""
    return datetime.now(timezone.utc) + _clock_offset


def travel_clock(offset: timedelta) -> None:
    """Set the app's clock `offset` ahead of the machine's (tests only; timedelta(0) resets it)."""
    global _clock_offset
    _clock_offset = offset


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no timezone type, so values are normalised to UTC on the way in and tagged UTC on
    the way out; PostgreSQL stores them as `timestamp with time zone`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

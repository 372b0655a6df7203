"""The data cache: shared answers (the leaderboard's top list, the bank's question counts) kept in
Flask-Caching, with invalidation by version and a cache outage that only costs speed.

A cross-cutting module (like `logs.py`): several features read through it and the database
session feeds it. How it stays correct:

- **Versioned keys.** Every entry belongs to a group (`BANK`, `LEADERBOARD`) whose version number
  is part of its key. A change bumps the version once its transaction commits, so no reader can
  find the old entry again; a reader that read the version before the change writes its result
  under the old key, where nobody looks. A version starts at the clock in milliseconds, so one
  lost to a Redis restart or eviction never comes back as a number that old entries used.
- **Bumped by the session, not by each caller.** Any flush or statement that writes a bank table
  (exams, domains, objectives, questions, choices) or a leaderboard column (users' XP, name,
  visibility, activity; weekly XP) marks its group; the bump runs after commit. The editor, the
  bank import, report withdrawals and XP awards are covered without each remembering to ask.
- **Nobody's data in a shared entry.** Entries hold only what every viewer may see; the
  viewer's own rank, XP and level are read live (`gamification.services.leaderboard`).
- **Shared or not.** With Redis (CACHE_SHARED) every process sees every bump. Without it a bump
  reaches only the process that made it, so only groups whose staleness is bounded by their
  lifetime and harmless (`PER_PROCESS_SAFE`: the leaderboard, whose viewer parts are live) are
  cached; the bank is not, since an edit would stay invisible to other workers for an hour.
- **Outage.** Any cache error skips the cache for CACHE_RETRY_AFTER_SECONDS; the request is
  answered from the database. The first error of an outage is logged as a warning, once per
  process; retries that fail again stay quiet, and the first success logs that the cache is back.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from webapp.extensions import cache

logger = logging.getLogger(__name__)

BANK = "bank"
LEADERBOARD = "leaderboard"
PER_PROCESS_SAFE = frozenset({LEADERBOARD})

BANK_TABLES = frozenset({"exams", "domains", "objectives", "questions", "choices"})
LEADERBOARD_TABLES = frozenset({"weekly_xp"})
LEADERBOARD_USER_COLUMNS = frozenset({"xp", "xp_reached_at", "username", "show_on_leaderboard", "is_active"})
_PENDING = "cache_groups_to_bump"



def _enabled(group: str) -> bool:
    if not has_app_context():  # a commit outside the app (a bare script): no cache to bump
        return False
    config = current_app.config
    if config.get("CACHE_TYPE") in ("NullCache", "null"):
        return False
    if not config.get("CACHE_SHARED") and group not in PER_PROCESS_SAFE:
        return False
    return time.monotonic() >= _state().get("skip_until", 0.0)


def _state() -> dict:
    """Per app and process: after an error, the cache is left alone until `skip_until`."""
    return current_app.extensions.setdefault("certquest_cache", {})


def _failed(action: str, error: Exception) -> None:
    retry = float(current_app.config["CACHE_RETRY_AFTER_SECONDS"])
    state = _state()
    state["skip_until"] = time.monotonic() + retry
    if state.get("down"):  # already warned about this outage
        return
    state["down"] = True
    logger.warning("cache unavailable; serving from the database", extra={
        "action": action, "error": f"{type(error).__name__}: {error}", "retry_after_seconds": retry})


def _answered() -> None:
    state = _state()
    if state.get("down"):
        state["down"] = False
        logger.info("cache available again")


def _version_key(group: str) -> str:
    return f"version:{group}"


def group_version(group: str) -> int:
    """The group's current version, created (at the clock, in ms) if the cache has none."""
    key = _version_key(group)
    version = cache.cache.get(key)
    if version is None:
        cache.cache.add(key, int(time.time() * 1000), timeout=0)  # add: a concurrent creator wins
        version = cache.cache.get(key)
    return int(version)


def bump(group: str) -> None:
    """Make every entry of `group` unreachable (after a change to what they were built from)."""
    if not _enabled(group):
        return
    try:
        group_version(group)
        cache.cache.inc(_version_key(group))
    except Exception as error:  # noqa: BLE001  (any backend error means "no cache", never a 500)
        _failed("bump", error)
    else:
        _answered()


def cached(group: str, key: str, timeout_setting: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s value, from the cache when an entry of the group's current version exists.

    The value must be plain data (it is pickled) and the same for every viewer."""
    if not _enabled(group):
        return compute()
    try:
        full_key = f"{group}:{group_version(group)}:{key}"
        value = cache.get(full_key)
    except Exception as error:  # noqa: BLE001
        _failed("get", error)
        return compute()
    _answered()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(full_key, value, timeout=int(current_app.config[timeout_setting]))
    except Exception as error:  # noqa: BLE001
        _failed("set", error)
    return value


def bump_after_commit(session: Session, *groups: str) -> None:
    """Bump `groups` when `session`'s transaction commits (a rolled-back change bumps at the next commit)."""
    session.info.setdefault(_PENDING, set()).update(groups)


def _groups_for_table(name: str, columns: set[str] | None) -> set[str]:
    if name in BANK_TABLES:
        return {BANK}
    if name in LEADERBOARD_TABLES:
        return {LEADERBOARD}
    if name == "users" and (columns is None or columns & LEADERBOARD_USER_COLUMNS):
        return {LEADERBOARD}
    return set()


@sa.event.listens_for(Session, "before_flush")
def _mark_changed_objects(session: Session, _context, _instances) -> None:
    groups: set[str] = set()
    for obj in list(session.new) + list(session.deleted):
        groups |= _groups_for_table(getattr(obj, "__tablename__", ""), None)
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", "")
        if table in BANK_TABLES | LEADERBOARD_TABLES or table == "users":
            state = sa.inspect(obj)
            changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
            if changed:
                groups |= _groups_for_table(table, changed)
    if groups:
        bump_after_commit(session, *groups)


@sa.event.listens_for(Session, "do_orm_execute")
def _mark_written_tables(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None:
        return
    values = getattr(state.statement, "_values", None)
    columns = {getattr(column, "key", str(column)) for column in values} if state.is_update and values else None
    groups = _groups_for_table(name, columns)
    if groups:
        bump_after_commit(state.session, *groups)


@sa.event.listens_for(Session, "after_commit")
def _bump_committed(session: Session) -> None:
    groups = session.info.pop(_PENDING, None)
    for group in sorted(groups or ()):
        bump(group)

"""The data cache: shared answers (the leaderboard's top list, the bank's question counts and
question lists) and each learner's profile, kept in Flask-Caching, with invalidation by version
and a cache outage that only costs speed.

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
- **Profiles are per learner.** A profile entry (`GET /api/v1/users/me`) is keyed by its
  learner's id and a version of that learner alone (`profile_group`), which any change to their
  `users` or `streaks` row bumps, so it can only ever be read back for them. A bulk write whose
  learner the hook cannot tell bumps every profile (`PROFILES`).
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
import operator
import time
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from webapp.extensions import cache

logger = logging.getLogger(__name__)

BANK = "bank"
LEADERBOARD = "leaderboard"
PROFILES = "profile"  # every learner's profile; profile_group(id) is one learner's
PER_PROCESS_SAFE = frozenset({LEADERBOARD})
PROFILE_TABLES = {"users": "id", "streaks": "user_id"}  # table: the column naming its learner
# A per-learner version key expires (a key per learner would otherwise stay for good); one made
# again starts at the clock, later than every version it could have reached (one per change).
PROFILE_VERSION_TIMEOUT = 24 * 60 * 60

BANK_TABLES = frozenset({"exams", "domains", "objectives", "questions", "choices"})
LEADERBOARD_TABLES = frozenset({"weekly_xp"})
LEADERBOARD_USER_COLUMNS = frozenset({"xp", "xp_reached_at", "username", "show_on_leaderboard", "is_active"})
_PENDING = "cache_groups_to_bump"


def profile_group(user_id: int) -> str:
    """The invalidation group of one learner's profile."""
    return f"{PROFILES}:{user_id}"


def _base_group(group: str) -> str:
    return group.split(":", 1)[0]


def _per_learner(group: str) -> bool:
    return group.startswith(f"{PROFILES}:")


def _enabled(group: str) -> bool:
    if not has_app_context():  # a commit outside the app (a bare script): no cache to bump
        return False
    config = current_app.config
    if config.get("CACHE_TYPE") in ("NullCache", "null"):
        return False
    if not config.get("CACHE_SHARED") and _base_group(group) not in PER_PROCESS_SAFE:
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
    return group_versions((group,))[0]


def group_versions(groups: tuple[str, ...]) -> list[int]:
    """Each group's current version, read in one call; a missing one is created at the clock (ms)."""
    keys = [_version_key(group) for group in groups]
    versions = list(cache.cache.get_many(*keys))
    for n, (group, key) in enumerate(zip(groups, keys)):
        if versions[n] is None:
            timeout = PROFILE_VERSION_TIMEOUT if _per_learner(group) else 0
            cache.cache.add(key, int(time.time() * 1000), timeout=timeout)  # add: a concurrent creator wins
            versions[n] = cache.cache.get(key)
    return [int(version) for version in versions]


def bump(group: str) -> None:
    """Make every entry of `group` unreachable (after a change to what they were built from)."""
    if not _enabled(group):
        return
    try:
        if _per_learner(group) and cache.cache.get(_version_key(group)) is None:
            pass  # this learner's profile was never read since its key expired: no entry to drop
        else:
            group_version(group)
            cache.cache.inc(_version_key(group))
    except Exception as error:  # noqa: BLE001  (any backend error means "no cache", never a 500)
        _failed("bump", error)
    else:
        _answered()


def cached(group: str | tuple[str, ...], key: str, timeout_setting: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s value, from the cache when an entry of the current version of its group (of
    every group, for a tuple) exists.

    The value must be plain data (it is pickled) and the same for every viewer the key covers:
    everyone, or, under a `profile_group`, its one learner."""
    groups = (group,) if isinstance(group, str) else group
    if not all(_enabled(g) for g in groups):
        return compute()
    try:
        versions = ":".join(map(str, group_versions(groups)))
        full_key = f"{groups[0]}:{versions}:{key}"
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


def _groups_for_table(name: str, columns: set[str] | None, learner: int | None = None) -> set[str]:
    """The groups a write to table `name` (of `columns`, None: whole rows) makes stale; `learner`
    is the id of the one learner whose row it is, when known."""
    groups = set()
    if name in BANK_TABLES:
        groups.add(BANK)
    if name in LEADERBOARD_TABLES:
        groups.add(LEADERBOARD)
    if name == "users" and (columns is None or columns & LEADERBOARD_USER_COLUMNS):
        groups.add(LEADERBOARD)
    if name in PROFILE_TABLES:
        groups.add(PROFILES if learner is None else profile_group(learner))
    return groups


def _learner_of(obj: Any, table: str) -> int | None:
    column = PROFILE_TABLES.get(table)
    return getattr(obj, column, None) if column else None


def _learner_in_where(statement: Any, table: str) -> int | None:
    """The learner id of a bulk statement filtered on exactly `<learner column> = value`, else None."""
    clause = getattr(statement, "whereclause", None)
    column = PROFILE_TABLES.get(table)
    left, right = getattr(clause, "left", None), getattr(clause, "right", None)
    if (column is None or getattr(clause, "operator", None) is not operator.eq
            or getattr(left, "key", None) != column or getattr(getattr(left, "table", None), "name", None) != table):
        return None
    value = getattr(right, "effective_value", None)
    return value if isinstance(value, int) else None


@sa.event.listens_for(Session, "before_flush")
def _mark_changed_objects(session: Session, _context, _instances) -> None:
    groups: set[str] = set()
    for obj in list(session.new) + list(session.deleted):
        table = getattr(obj, "__tablename__", "")
        learner = _learner_of(obj, table)
        found = _groups_for_table(table, None, learner)
        if learner is None and obj in session.new:
            found.discard(PROFILES)  # a new learner (no id yet) has no cached profile to make stale
        groups |= found
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", "")
        if table in BANK_TABLES | LEADERBOARD_TABLES or table in PROFILE_TABLES:
            state = sa.inspect(obj)
            changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
            if changed:
                groups |= _groups_for_table(table, changed, _learner_of(obj, table))
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
    groups = _groups_for_table(name, columns, _learner_in_where(state.statement, name))
    if groups:
        bump_after_commit(state.session, *groups)


@sa.event.listens_for(Session, "after_commit")
def _bump_committed(session: Session) -> None:
    groups = session.info.pop(_PENDING, None)
    for group in sorted(groups or ()):
        bump(group)

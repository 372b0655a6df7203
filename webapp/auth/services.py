"""Accounts: registration, sign-in with lockout, profile and password changes, API tokens.

Services take plain values and a `RequestMeta` for the audit log, raise `AppError` subclasses,
and own the commit. They never touch `request`, `session` or `g`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from webapp.audit.services import RequestMeta, record_event
from webapp.auth.passwords import hash_password, password_problems, verify_password
from webapp.exceptions import AppError, Conflict, FieldError, NotFound, ValidationError
from webapp.extensions import db
from webapp.models import ApiToken, AuditEvent, User
from webapp.models.base import utcnow
from webapp.models.user import new_session_secret
from webapp.rate_limits import KeyedLimit

USERNAME_RE = re.compile(r"^[a-z0-9_-]{3,32}$")
# What `normalise_username` accepts before it trims and lower-cases, for the API document: the
# characters `str.strip` removes (`str.isspace`), and those `str.lower` turns into USERNAME_RE's
# (upper case, and the Kelvin sign U+212A, which lower-cases to k).
USERNAME_SPACE = "\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
USERNAME_PATTERN = f"^[{USERNAME_SPACE}]*[A-Za-z0-9_\u212a-]{{3,32}}[{USERNAME_SPACE}]*$"
TOKEN_PREFIX = "cq_"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits of randomness
# The kind of sign-in a session identity records: "remember me" or this browser session only.
REMEMBERED = "r"
SESSION_ONLY = "s"


class InvalidCredentials(AppError):
    status = 401
    code = "INVALID_CREDENTIALS"
    message = "Incorrect email/username or password."


class AccountLocked(AppError):
    status = 429
    code = "ACCOUNT_LOCKED"
    message = "Too many failed password attempts. Password sign-in is paused; try again later."

    def __init__(self, retry_after: int = 60) -> None:
        retry_after = max(1, retry_after)
        minutes = math.ceil(retry_after / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes <= 90 else \
            f"{math.ceil(minutes / 60)} hours"
        super().__init__(f"Too many failed password attempts. Password sign-in is paused; try again in {wait}.",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class WrongPassword(AppError):
    status = 400
    code = "WRONG_PASSWORD"
    message = "Your current password is not correct."

    def __init__(self) -> None:
        super().__init__(field="current_password")


def normalise_email(raw: str) -> str:
    """Validate an email address and return its canonical, lower-cased form."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Enter a valid email address ({exc}).", field="email",
                              errors=[FieldError("email", "Enter a valid email address.", "INVALID")]) from exc
    return result.normalized.lower()


def normalise_username(raw: str) -> str:
    username = (raw or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError("Usernames are 3–32 characters: lower-case letters, digits, _ and -.",
                              field="username")
    return username


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> str:
    if name not in _timezones():
        raise ValidationError("Choose a time zone from the list (an IANA name such as Europe/London).",
                              field="timezone")
    return name


def timezone_choices() -> list[str]:
    return sorted(_timezones())


def check_password_policy(password: str, username: str, email: str, field: str = "password") -> None:
    problems = password_problems(password, username=username, email=email)
    if problems:
        raise ValidationError(" ".join(problems), field=field)


def _hash(password: str) -> str:
    return hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])


def register_user(email: str, username: str, password: str, meta: RequestMeta) -> User:
    """Create a learner account. Raises ValidationError or Conflict."""
    email = normalise_email(email)
    username = normalise_username(username)
    check_password_policy(password, username, email)
    _ensure_unique(email=email, username=username)
    user = User(email=email, username=username, password_hash=_hash(password))
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:  # a concurrent registration won the race
        db.session.rollback()
        raise Conflict("That email or username is already registered.", code="ACCOUNT_EXISTS") from exc
    record_event("register", meta, user_id=user.id)
    db.session.commit()
    return user


def _ensure_unique(email: str | None = None, username: str | None = None, exclude_id: int | None = None) -> None:
    checks = [(User.email, email, "email", "That email is already registered."),
              (User.username, username, "username", "That username is taken.")]
    for column, value, field, message in checks:
        if value is None:
            continue
        query = sa.select(User.id).where(column == value)
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise Conflict(message, field=field, code="ACCOUNT_EXISTS" if field == "email" else "USERNAME_TAKEN")


def find_user_by_login(login: str) -> User | None:
    """Look a user up by email or username, case-insensitively."""
    value = (login or "").strip().lower()
    if not value:
        return None
    column = User.email if "@" in value else User.username
    return db.session.scalar(sa.select(User).where(column == value))


class LoginThrottle:
    """Failed password checks (sign-in and the account page's current-password checks), counted
    in the rate-limit storage (Redis when `REDIS_URL` is set) under three keys:

    - per (account, address), `LOGIN_FAILURES_PER_ADDRESS`: when full, that address is refused
      for that account until the window has room; no other address is affected;
    - per account, `LOGIN_FAILURES_PER_ACCOUNT` (a short window) and `LOGIN_FAILURES_PER_DAY`:
      when either is full, the account's password checks are refused from every address except
      *known* ones (a successful sign-in or the registration from that address for that account
      within `LOGIN_KNOWN_ADDRESS_DAYS`), so an attacker cannot keep the owner out;
    - per (account, known address) a day, `LOGIN_KNOWN_ADDRESS_FAILURES_PER_DAY`: how many
      failures a known address may still make while the account is paused, so the daily total
      stays bounded even for an attacker behind the owner's address.

    An account key is the user id, or a hash of the login for unknown logins, so a lock looks the
    same whether or not the account exists.
    """

    def __init__(self, config) -> None:
        self.per_address = KeyedLimit("login-failures-address", config["LOGIN_FAILURES_PER_ADDRESS"])
        self.per_account = KeyedLimit("login-failures-account", config["LOGIN_FAILURES_PER_ACCOUNT"])
        self.per_day = KeyedLimit("login-failures-day", config["LOGIN_FAILURES_PER_DAY"])
        self.known_per_day = KeyedLimit("login-failures-known", config["LOGIN_KNOWN_ADDRESS_FAILURES_PER_DAY"])
        self.known_days = config["LOGIN_KNOWN_ADDRESS_DAYS"]

    def retry_after(self, account: str, address: str, user_id: int | None) -> int:
        """0 when a password check for `account` from `address` may go ahead, else the seconds to wait."""
        pair = f"{account}|{address}"
        waits = [self.per_address.retry_after(pair)]
        if not (self.per_account.allows(account) and self.per_day.allows(account)):
            if is_known_address(user_id, address, self.known_days):
                waits.append(self.known_per_day.retry_after(pair))
            else:
                waits += [self.per_account.retry_after(account), self.per_day.retry_after(account)]
        return max(waits)

    def record_failure(self, account: str, address: str) -> None:
        pair = f"{account}|{address}"
        for limit, key in ((self.per_address, pair), (self.per_account, account), (self.per_day, account),
                           (self.known_per_day, pair)):
            limit.hit(key)


def is_known_address(user_id: int | None, address: str, days: int) -> bool:
    """True when the account signed in (or registered) successfully from `address` within `days`."""
    if user_id is None or not address:
        return False
    since = utcnow() - timedelta(days=days)
    return db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.user_id == user_id, AuditEvent.ip == address,
                                       AuditEvent.event.in_(("login_success", "register")),
                                       AuditEvent.created_at >= since).limit(1)) is not None


def _throttle_key(user: User | None, login: str) -> str:
    if user is not None:
        return f"user:{user.id}"
    return "login:" + hashlib.sha256((login or "").strip().lower().encode()).hexdigest()


_DUMMY_HASH: str | None = None


def _burn_hash_time(password: str) -> None:
    """Spend the same time as a real check, so response time does not reveal unknown accounts."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hash(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH, password)


def _throttled_password_check(user: User | None, key: str, password: str, meta: RequestMeta,
                              details: dict | None = None) -> bool:
    """Check `password` under the LoginThrottle: AccountLocked when the check is paused (or this
    failure pauses it), else whether the password is right. Failures are audited and committed."""
    throttle = LoginThrottle(current_app.config)
    address = meta.ip or "unknown"
    user_id = user.id if user is not None else None
    wait = throttle.retry_after(key, address, user_id)
    if wait:
        record_event("login_failure", meta, user_id=user_id, details={**(details or {}), "reason": "locked"},
                     commit=True)
        raise AccountLocked(wait)
    if user is None:
        _burn_hash_time(password)
        ok = False
    else:
        ok = bool(password) and verify_password(user.password_hash, password) and user.is_active
    if ok:
        return True
    throttle.record_failure(key, address)
    record_event("login_failure", meta, user_id=user_id, details=details)
    wait = throttle.retry_after(key, address, user_id)
    if wait:
        record_event("lockout", meta, user_id=user_id)
    db.session.commit()
    if wait:
        raise AccountLocked(wait)
    return False


def authenticate(login: str, password: str, meta: RequestMeta) -> User:
    """Check credentials. Raises InvalidCredentials or AccountLocked; records the outcome."""
    user = find_user_by_login(login)
    if not _throttled_password_check(user, _throttle_key(user, login), password, meta):
        raise InvalidCredentials()
    user.last_login_at = utcnow()
    record_event("login_success", meta, user_id=user.id)
    db.session.commit()
    return user


def session_identity(user: User, remember: bool, now: datetime | None = None) -> str:
    """The identity a new sign-in stores in the session and the remember cookie:
    `id:session_secret:signed_in_epoch:kind`. Flask-Login signs it; it is never extended."""
    signed_in = int((now or utcnow()).timestamp())
    return f"{user.id}:{user.session_secret}:{signed_in}:{REMEMBERED if remember else SESSION_ONLY}"


def begin_session(user: User, remember: bool, now: datetime | None = None) -> None:
    """Stamp `user` with a new sign-in's identity (what `get_id()` hands to Flask-Login)."""
    user.session_identity = session_identity(user, remember, now)


def sign_in_lifetime(kind: str) -> timedelta:
    """How long after sign-in an identity of this kind stays valid (config)."""
    config = current_app.config
    if kind == REMEMBERED:
        return timedelta(days=config["REMEMBER_COOKIE_MAX_AGE_DAYS"])
    return config["SESSION_ABSOLUTE_LIFETIME"]


def load_session_user(identity: str, now: datetime | None = None) -> User | None:
    """Resolve a session identity to its user, or None when it is malformed, older than its
    lifetime, or names an account that is gone, inactive or whose session secret has rotated.

    A session restored from the remember cookie carries the same identity, so it keeps the
    original sign-in time: replaying the cookie never extends a sign-in.
    """
    try:
        raw_id, secret, raw_signed_in, kind = identity.split(":")
        user_id, signed_in = int(raw_id), int(raw_signed_in)
    except (ValueError, AttributeError):
        return None
    if kind not in (REMEMBERED, SESSION_ONLY) or not secret:
        return None
    age = (now or utcnow()).timestamp() - signed_in
    if age > sign_in_lifetime(kind).total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_secret.encode("utf-8"), secret.encode("utf-8")):
        return None
    user.session_identity = identity
    return user


def end_all_sessions(user: User) -> None:
    """Rotate the session secret: every session and remember-me cookie of `user` ends (server
    side). The caller commits."""
    user.session_secret = new_session_secret()


def end_sessions_and_tokens(user: User, now: datetime | None = None) -> int:
    """End every browser session and revoke every live API token of `user`, for a password
    change, a deactivation or a deletion. Returns how many tokens were revoked; the caller commits."""
    end_all_sessions(user)
    result = db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def logout_user_everywhere(user: User, meta: RequestMeta) -> None:
    """Sign out: the session secret rotates, so no copy of an old cookie works again."""
    end_all_sessions(user)
    record_event("logout", meta, user_id=user.id)
    db.session.commit()


def require_current_password(user: User, password: str, meta: RequestMeta) -> None:
    """The account page's re-check of the password: wrong guesses count as failed sign-ins
    (same throttle, same account and address keys), and a paused account is refused (429)."""
    if not _throttled_password_check(user, _throttle_key(user, ""), password or "", meta,
                                     details={"check": "current_password"}):
        raise WrongPassword()


@dataclass(frozen=True)
class ProfileChanges:
    username: str | None = None
    email: str | None = None
    timezone: str | None = None
    show_on_leaderboard: bool | None = None
    digest_opt_in: bool | None = None  # the weekly digest email (webapp/digest)


def update_profile(user: User, changes: ProfileChanges, meta: RequestMeta, current_password: str | None = None) -> User:
    """Change profile fields. Changing the email needs the current password."""
    username = normalise_username(changes.username) if changes.username is not None else None
    email = normalise_email(changes.email) if changes.email is not None else None
    if email is not None and email != user.email:
        require_current_password(user, current_password or "", meta)
    _ensure_unique(email=email if email != user.email else None,
                   username=username if username != user.username else None, exclude_id=user.id)
    if username is not None:
        user.username = username
    if email is not None and email != user.email:
        user.email = email
        record_event("email_change", meta, user_id=user.id)
    if changes.timezone is not None:
        user.timezone = validate_timezone(changes.timezone)
    if changes.show_on_leaderboard is not None:
        user.show_on_leaderboard = bool(changes.show_on_leaderboard)
    if changes.digest_opt_in is not None:
        user.digest_opt_in = bool(changes.digest_opt_in)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict("That email or username is already registered.", code="ACCOUNT_EXISTS") from exc
    return user


def change_password(user: User, current_password: str, new_password: str, meta: RequestMeta) -> User:
    """Set a new password, end every session and revoke every API token; the caller signs the
    current browser session in again."""
    require_current_password(user, current_password, meta)
    check_password_policy(new_password, user.username, user.email, field="new_password")
    user.password_hash = _hash(new_password)
    revoked = end_sessions_and_tokens(user)
    record_event("password_change", meta, user_id=user.id, details={"tokens_revoked": revoked})
    db.session.commit()
    db.session.refresh(user)
    return user


def set_active(user: User, active: bool, meta: RequestMeta) -> None:
    """Deactivate (or reactivate) an account; deactivation ends its sessions and tokens."""
    user.is_active = active
    if not active:
        revoked = end_sessions_and_tokens(user)
        record_event("account_deactivate", meta, user_id=user.id, details={"tokens_revoked": revoked})
    db.session.commit()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, meta: RequestMeta, ttl_days: int | None = None) -> IssuedToken:
    """Issue a bearer token; only its hash is stored."""
    name = (name or "").strip()[:64] or "API token"
    ttl = ttl_days or current_app.config["API_TOKEN_TTL_DAYS"]
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:10],
                     expires_at=utcnow() + timedelta(days=ttl))
    db.session.add(token)
    db.session.flush()
    record_event("token_create", meta, user_id=user.id, details={"token_id": token.id})
    db.session.commit()
    return IssuedToken(token, secret)


def issue_token_for_login(login: str, password: str, meta: RequestMeta) -> IssuedToken:
    """The API's sign-in: check the credentials, then issue a token."""
    user = authenticate(login, password, meta)
    return create_token(user, "API sign-in", meta)


def resolve_token(secret: str) -> ApiToken | None:
    """The live token for a presented secret, or None if unknown, expired, revoked or inactive."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = utcnow()
    if (token is None or token.revoked_at is not None or token.expires_at <= now or token.user is None
            or not token.user.is_active):
        return None
    # Touch last_used_at at most once a minute to keep reads cheap.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    return token


def revoke_token(user: User, token_id: int, meta: RequestMeta) -> ApiToken:
    """Revoke one of the user's tokens (idempotent). Another user's token is NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event("token_revoke", meta, user_id=user.id, details={"token_id": token.id})
        db.session.commit()
    return token


def list_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))


def token_is_live(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and token.expires_at > now


@dataclass(frozen=True)
class AdminResult:
    user: User
    created: bool
    generated_password: str | None


def create_or_promote_admin(email: str, username: str | None, password: str | None, meta: RequestMeta) -> AdminResult:
    """`flask create-admin`: promote an existing account or create an admin one.

    With no password given for a new account, a strong one is generated and returned once.
    """
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        user.is_admin = True
        record_event("admin_promotion", meta, user_id=user.id)
        db.session.commit()
        return AdminResult(user, False, None)
    if not username:
        raise ValidationError("A new admin needs --username.", field="username")
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(18)
    username = normalise_username(username)
    check_password_policy(password, username, email)
    _ensure_unique(email=email, username=username)
    user = User(email=email, username=username, password_hash=_hash(password), is_admin=True)
    db.session.add(user)
    db.session.flush()
    record_event("register", meta, user_id=user.id)
    record_event("admin_promotion", meta, user_id=user.id)
    db.session.commit()
    return AdminResult(user, True, generated)

"""Accounts, API tokens and the audit log."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import NEVER_REUSE_IDS, UTCDateTime, utcnow


SESSION_SECRET_BYTES = 32


def new_session_secret() -> str:
    """A fresh random session secret (256 bits, URL-safe, no ':')."""
    return secrets.token_urlsafe(SESSION_SECRET_BYTES)


class User(UserMixin, db.Model):
    """A learner or an admin. `username` is the only identity other users ever see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index compares case-insensitively on both databases.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    show_on_leaderboard: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The weekly digest email (`flask digest send`) goes only to learners who switched it on.
    digest_opt_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The random part of every session identity of this account. Rotated to end all its sessions
    # and remember-me cookies (sign-out, password change, deactivation, deletion); being random,
    # a cookie can never name another account, even one that got the same id.
    session_secret: Mapped[str] = mapped_column(sa.String(64), default=new_session_secret)
    xp: Mapped[int] = mapped_column(default=0, server_default="0")
    # When `xp` last grew: leaderboard ties go to whoever reached the score first.
    xp_reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    server_default=sa.func.current_timestamp())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                    passive_deletes=True)

    __table_args__ = (
        sa.CheckConstraint("length(username) >= 3", name="username_min_length"),
        sa.CheckConstraint("xp >= 0", name="xp_non_negative"),
        # The all-time leaderboard and "my rank" read only visible, active users by XP.
        sa.Index("ix_users_leaderboard", sa.text("xp DESC"), "xp_reached_at", "id",
                 sqlite_where=sa.text("show_on_leaderboard = 1 AND is_active = 1"),
                 postgresql_where=sa.text("show_on_leaderboard AND is_active")),
        NEVER_REUSE_IDS,
    )

    # The identity of the sign-in this object was loaded or signed in for (auth.services
    # `session_identity`): not a column, because every browser sign-in has its own.
    session_identity = None

    def get_id(self) -> str:
        """Flask-Login's key for the session and the remember cookie: the current sign-in's
        identity (id, session secret, sign-in time, kind). Without one, a key no loader accepts."""
        return self.session_identity or f"{self.id}:{self.session_secret}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    __table_args__ = (NEVER_REUSE_IDS,)


class AuditEvent(db.Model):
    """An append-only security record. It never holds a password or a token."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: deleting an account keeps the event but forgets whose it was.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40), index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    request_id: Mapped[str | None] = mapped_column(sa.String(128))
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    __table_args__ = (NEVER_REUSE_IDS,)

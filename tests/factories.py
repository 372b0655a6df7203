"""Plain functions that create records for tests (no factory framework)."""

from __future__ import annotations

import itertools

from webapp.audit.services import RequestMeta
from webapp.auth import services as auth_services
from webapp.extensions import db
from webapp.models import User

DEFAULT_PASSWORD = "correct horse battery staple 42"
_counter = itertools.count(1)
META = RequestMeta(ip="127.0.0.1", user_agent="pytest", request_id="test")


def gen_user(app, username: str | None = None, email: str | None = None, password: str = DEFAULT_PASSWORD,
             is_admin: bool = False, **fields) -> User:
    """A saved user; returns it detached-safe (attributes loaded)."""
    n = next(_counter)
    username = username or f"learner{n}"
    email = email or f"{username}@example.com"
    with app.app_context():
        user = auth_services.register_user(email, username, password, META)
        user.is_admin = is_admin
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def gen_token(app, user: User, ttl_days: int | None = None) -> str:
    """A live API token for `user`; returns the secret."""
    with app.app_context():
        fresh = db.session.get(User, user.id)
        return auth_services.create_token(fresh, "test token", META, ttl_days=ttl_days).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def login(client, login_name: str, password: str = DEFAULT_PASSWORD, remember: bool = False, next_url: str | None = None):
    """Sign in through the real form."""
    data = {"login": login_name, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data=data)

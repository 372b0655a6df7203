"""Flask-Login wiring: the user loader and what happens to anonymous visitors."""

from __future__ import annotations

from flask import Flask, g

from webapp.auth.services import load_session_user
from webapp.extensions import login_manager


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # Session ids are already bound to a server-side version; "strong" would also drop the
    # session when a mobile user's IP changes, which is more annoying than protective.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_key: str):
        user = load_session_user(session_key)
        if user is not None:
            g.log_user_id = user.id
        return user

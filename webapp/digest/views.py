"""/digest/unsubscribe/<token>: the digest's one-click unsubscribe (RFC 8058).

The signed token authorises the change, so neither a session nor a CSRF token is needed: GET
shows a confirmation page (mail scanners follow links, so GET never changes anything), and POST,
from that page or straight from a mail client's one-click button, switches the digest off.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.digest import services
from webapp.extensions import csrf

bp = Blueprint("digest", __name__, url_prefix="/digest")


@bp.get("/unsubscribe/<token>")
def confirm_unsubscribe(token: str):
    user = services.user_for_unsubscribe_token(token)
    return render_template("digest/unsubscribe.html", user=user, token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # authorised by the signed token; mail clients' one-click POST carries no CSRF token
def unsubscribe(token: str):
    user = services.unsubscribe(token)
    return render_template("digest/unsubscribe.html", user=user, token=token, done=True)

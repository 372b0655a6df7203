"""Browser sign-in: /auth/register, /auth/login and POST /auth/logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.audit.meta import current_request_meta
from webapp.auth import services
from webapp.auth.forms import LoginForm, LogoutForm, RegisterForm
from webapp.auth.session import REGISTER_SCOPE, SIGN_IN_SCOPE, end_browser_session, login_rate_limit, safe_next, start_session
from webapp.exceptions import AppError
from webapp.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
@limiter.shared_limit(login_rate_limit, scope=REGISTER_SCOPE, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data, form.username.data, form.password.data,
                                          current_request_meta())
        except AppError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            start_session(user, remember=False)
            flash(f"Welcome to CertQuest, {user.username}!", "success")
            return redirect(url_for("main.index"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(login_rate_limit, scope=SIGN_IN_SCOPE, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data, current_request_meta())
        except (services.InvalidCredentials, services.AccountLocked) as exc:
            error, status, headers = exc.message, exc.status, exc.headers
        else:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        services.logout_user_everywhere(current_user._get_current_object(), current_request_meta())
        end_browser_session()
        flash("You are signed out.", "info")
    return redirect(url_for("main.index"))

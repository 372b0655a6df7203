"""/account: profile, password, tokens, export and deletion. Thin views over the services."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from webapp.audit.meta import current_request_meta
from webapp.auth import services
from webapp.auth.session import end_browser_session, start_session
from webapp.account.forms import (DeleteAccountForm, DigestForm, ExportForm, PasswordForm, ProfileForm, RevokeTokenForm,
                                  TokenForm)
from webapp.exceptions import AppError
from webapp.privacy.services import delete_user_account, export_json, export_user_data

bp = Blueprint("account", __name__, url_prefix="/account")
DELETE_CONFIRMATION = "delete my account"


@bp.before_request
@login_required
def require_login() -> None:
    """Every account page needs a signed-in user."""


def _user():
    return current_user._get_current_object()


def _profile_form(formdata=True) -> ProfileForm:
    user = _user()
    form = ProfileForm(obj=user) if formdata else ProfileForm(formdata=None, obj=user)
    form.timezone.choices = services.timezone_choices()
    return form


def _render(status: int = 200, new_token: str | None = None, error: AppError | None = None,
            **forms) -> tuple[str, int, dict]:
    """The account page; a failed form is 400, or the error's own status and headers when the
    password checks are paused (429 with Retry-After)."""
    headers: dict[str, str] = {}
    if error is not None and error.status == 429:
        status, headers = error.status, error.headers
    context = {
        "profile_form": forms.get("profile_form") or _profile_form(formdata=False),
        "password_form": forms.get("password_form") or PasswordForm(formdata=None),
        "digest_form": DigestForm(formdata=None, obj=_user()),
        "token_form": forms.get("token_form") or TokenForm(formdata=None),
        "export_form": forms.get("export_form") or ExportForm(formdata=None),
        "delete_form": forms.get("delete_form") or DeleteAccountForm(formdata=None),
        "revoke_form": RevokeTokenForm(formdata=None),
        "tokens": services.list_tokens(_user()),
        "token_is_live": services.token_is_live,
        "new_token": new_token,
    }
    return render_template("account/page.html", **context), status, headers


def _attach(form, exc: AppError, default_field: str) -> None:
    if exc.status == 429:  # paused password checks: shown where the password was typed
        default_field = "current_password"
    field = getattr(form, exc.field or default_field, None) or getattr(form, default_field)
    field.errors = list(field.errors) + [exc.message]


@bp.get("")
def page():
    return _render()


@bp.post("/profile")
def update_profile():
    form = _profile_form()
    error = None
    if form.validate_on_submit():
        changes = services.ProfileChanges(username=form.username.data, email=form.email.data,
                                          timezone=form.timezone.data,
                                          show_on_leaderboard=form.show_on_leaderboard.data)
        try:
            services.update_profile(_user(), changes, current_request_meta(), form.current_password.data)
        except AppError as exc:
            _attach(form, exc, "username")
            error = exc
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("account.page"))
    return _render(400, error=error, profile_form=form)


@bp.post("/digest")
def update_digest():
    """Switch the weekly digest email on or off."""
    form = DigestForm()
    if form.validate_on_submit():
        services.update_profile(_user(), services.ProfileChanges(digest_opt_in=form.digest_opt_in.data),
                                current_request_meta())
        flash("Weekly digest switched on." if form.digest_opt_in.data else "Weekly digest switched off.", "success")
    return redirect(url_for("account.page") + "#digest")


@bp.post("/password")
def change_password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.change_password(_user(), form.current_password.data, form.new_password.data,
                                            current_request_meta())
        except AppError as exc:
            _attach(form, exc, "new_password")
            error = exc
        else:
            start_session(user, remember=False)  # this session continues; every other one ended
            flash("Password changed. You were signed out everywhere else.", "success")
            return redirect(url_for("account.page"))
    return _render(400, error=error, password_form=form)


@bp.post("/tokens")
def create_token():
    form = TokenForm()
    error = None
    if form.validate_on_submit():
        try:
            services.require_current_password(_user(), form.current_password.data, current_request_meta())
            issued = services.create_token(_user(), form.name.data, current_request_meta())
        except AppError as exc:
            _attach(form, exc, "current_password")
            error = exc
        else:
            # Shown once, in this response only; it is not stored anywhere readable.
            return _render(201, new_token=issued.secret)
    return _render(400, error=error, token_form=form)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    if RevokeTokenForm().validate_on_submit():
        services.revoke_token(_user(), token_id, current_request_meta())
        flash("Token revoked.", "success")
    return redirect(url_for("account.page") + "#tokens")


@bp.post("/export")
def export():
    form = ExportForm()
    error = None
    if form.validate_on_submit():
        try:
            services.require_current_password(_user(), form.current_password.data, current_request_meta())
        except AppError as exc:
            _attach(form, exc, "current_password")
            error = exc
        else:
            body = export_json(export_user_data(_user(), current_request_meta()))
            return Response(body, mimetype="application/json", headers={
                "Content-Disposition": 'attachment; filename="certquest-export.json"',
                "Cache-Control": "no-store"})
    return _render(400, error=error, export_form=form)


@bp.post("/delete")
def delete():
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        try:
            services.require_current_password(_user(), form.current_password.data, current_request_meta())
            if form.confirm.data.strip().lower() != DELETE_CONFIRMATION:
                raise AppError(f'Type "{DELETE_CONFIRMATION}" to confirm.', field="confirm", code="NOT_CONFIRMED")
        except AppError as exc:
            _attach(form, exc, "current_password")
            error = exc
        else:
            delete_user_account(_user(), current_request_meta())
            end_browser_session()
            flash("Your account and its data were deleted.", "info")
            return redirect(url_for("main.index"))
    return _render(400, error=error, delete_form=form)
